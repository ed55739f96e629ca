/**
 * Scenes as MJCF, generated in code: a table, a two-finger gripper (the 7-D delta end-effector
 * action moves a mocap target; the hand, a free body, follows it through a weld constraint so that
 * it has real velocities and friction can carry a grasped object; each finger is a slide joint with
 * a position actuator),
 * and objects built from primitives with distinct colors.
 */
export type Rgb = [number, number, number];

export interface SceneObject {
  name: string;
  /** block: a box to grasp; can: an upright cylinder to grasp; plate/tray: a flat disc or slab to place on; basket: an open box to place into. */
  kind: 'block' | 'can' | 'plate' | 'tray' | 'basket';
  color: Rgb;
  /** Initial position of the object's base center on the table (z is set from its size). */
  x: number;
  y: number;
  /** Half sizes: block [x, y, z]; can [radius, halfHeight]; plate [radius, halfHeight]; tray/basket [x, y, z]. */
  size: number[];
}

/** Height of the table top (m). */
export const TABLE_Z = 0.0;
/** Where the gripper starts, above the table center (fingertips ~0.25 m up). */
export const HAND_START: [number, number, number] = [0, -0.05, 0.3];
/** Finger opening (slide joint position, m) when open; closed is 0. */
export const FINGER_OPEN = 0.045;

const rgba = (c: Rgb, a = 1) => `${c[0]} ${c[1]} ${c[2]} ${a}`;

/** Half height of an object above the table, i.e. where its center sits. */
export function objectHalfHeight(o: SceneObject): number {
  switch (o.kind) {
    case 'block':
      return o.size[2]!;
    case 'can':
    case 'plate':
      return o.size[1]!;
    case 'tray':
    case 'basket':
      return o.size[2]!;
  }
}

function objectBody(o: SceneObject): string {
  const z = TABLE_Z + objectHalfHeight(o);
  const c = rgba(o.color);
  switch (o.kind) {
    case 'block':
      return `<body name="${o.name}" pos="${o.x} ${o.y} ${z}"><freejoint name="${o.name}_joint"/><geom name="${o.name}" type="box" size="${o.size.join(' ')}" rgba="${c}" mass="0.05" friction="1.5 0.01 0.001" condim="4"/></body>`;
    case 'can':
      return `<body name="${o.name}" pos="${o.x} ${o.y} ${z}"><freejoint name="${o.name}_joint"/><geom name="${o.name}" type="cylinder" size="${o.size.join(' ')}" rgba="${c}" mass="0.05" friction="1.5 0.01 0.001" condim="4"/></body>`;
    case 'plate':
      return `<body name="${o.name}" pos="${o.x} ${o.y} ${z}"><geom name="${o.name}" type="cylinder" size="${o.size.join(' ')}" rgba="${c}"/></body>`;
    case 'tray':
      return `<body name="${o.name}" pos="${o.x} ${o.y} ${z}"><geom name="${o.name}" type="box" size="${o.size.join(' ')}" rgba="${c}"/></body>`;
    case 'basket': {
      const [sx, sy, sz] = o.size as [number, number, number];
      const t = 0.005;
      const walls = [
        `<geom name="${o.name}" type="box" pos="0 0 ${-sz + t}" size="${sx} ${sy} ${t}" rgba="${c}"/>`,
        `<geom name="${o.name}_w1" type="box" pos="${sx - t} 0 0" size="${t} ${sy} ${sz}" rgba="${c}"/>`,
        `<geom name="${o.name}_w2" type="box" pos="${-sx + t} 0 0" size="${t} ${sy} ${sz}" rgba="${c}"/>`,
        `<geom name="${o.name}_w3" type="box" pos="0 ${sy - t} 0" size="${sx} ${t} ${sz}" rgba="${c}"/>`,
        `<geom name="${o.name}_w4" type="box" pos="0 ${-sy + t} 0" size="${sx} ${t} ${sz}" rgba="${c}"/>`,
      ];
      return `<body name="${o.name}" pos="${o.x} ${o.y} ${z}">${walls.join('')}</body>`;
    }
  }
}

/** The MJCF of a scene: 2 ms physics steps, the gripper, the table and the objects. */
export function sceneXml(objects: readonly SceneObject[]): string {
  const [hx, hy, hz] = HAND_START;
  return `<mujoco model="spec-vla tabletop">
  <option timestep="0.002" gravity="0 0 -9.81" cone="elliptic" impratio="5"/>
  <default><geom solref="0.005 1" solimp="0.95 0.99 0.001"/></default>
  <worldbody>
    <geom name="floor" type="plane" pos="0 0 -0.4" size="2 2 0.1" rgba="0.35 0.35 0.38 1"/>
    <geom name="table" type="box" pos="0 0 ${TABLE_Z - 0.02}" size="0.45 0.35 0.02" rgba="0.72 0.62 0.48 1" friction="1 0.01 0.001"/>
    <body name="target" mocap="true" pos="${hx} ${hy} ${hz}"/>
    <body name="hand" pos="${hx} ${hy} ${hz}">
      <freejoint name="hand"/>
      <inertial pos="0 0 0.05" mass="0.5" diaginertia="0.002 0.002 0.002"/>
      <geom name="palm" type="box" pos="0 0 0.035" size="0.06 0.015 0.012" rgba="0.25 0.25 0.28 1" contype="0" conaffinity="0"/>
      <geom name="wrist" type="cylinder" pos="0 0 0.09" size="0.018 0.045" rgba="0.2 0.2 0.22 1" contype="0" conaffinity="0"/>
      <body name="finger_left" pos="0 0 0">
        <joint name="finger_left" type="slide" axis="-1 0 0" range="0 ${FINGER_OPEN}" damping="2"/>
        <geom name="finger_left" type="box" pos="-0.008 0 0" size="0.006 0.012 0.028" rgba="0.15 0.15 0.16 1" mass="0.02" friction="2 0.02 0.001" condim="4"/>
      </body>
      <body name="finger_right" pos="0 0 0">
        <joint name="finger_right" type="slide" axis="1 0 0" range="0 ${FINGER_OPEN}" damping="2"/>
        <geom name="finger_right" type="box" pos="0.008 0 0" size="0.006 0.012 0.028" rgba="0.15 0.15 0.16 1" mass="0.02" friction="2 0.02 0.001" condim="4"/>
      </body>
    </body>
    ${objects.map(objectBody).join('\n    ')}
  </worldbody>
  <equality>
    <weld name="hand_to_target" body1="target" body2="hand" solref="0.01 1"/>
  </equality>
  <actuator>
    <position name="finger_left" joint="finger_left" kp="300" ctrlrange="0 ${FINGER_OPEN}" forcerange="-12 12"/>
    <position name="finger_right" joint="finger_right" kp="300" ctrlrange="0 ${FINGER_OPEN}" forcerange="-12 12"/>
  </actuator>
</mujoco>`;
}
