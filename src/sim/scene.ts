/**
 * Scenes as MJCF, generated in code: a table, a two-finger gripper (the 7-D delta end-effector
 * action moves a mocap target; the hand, a free body, follows it through a weld constraint so that
 * it has real velocities and friction can carry a grasped object; each finger is a slide joint with
 * a position actuator), objects built from primitives with distinct colors, and two articulated
 * fixtures: a cabinet whose drawer slides on a joint, and a stove whose button is pressed down.
 */
export type Rgb = [number, number, number];

export interface SceneObject {
  name: string;
  /**
   * block: a box to grasp (or push); can: an upright cylinder to grasp; plate/tray: a flat disc or
   * slab to place on; basket: an open box to place into; cabinet: a fixed cabinet with a drawer
   * (joint `<name>_drawer`, body `<name>_drawer`), its top a shelf; stove: a fixed burner with a
   * push button (joint `<name>_button`).
   */
  kind: 'block' | 'can' | 'plate' | 'tray' | 'basket' | 'cabinet' | 'stove';
  color: Rgb;
  /** Initial position of the object's base center on the table (z is set from its size). */
  x: number;
  y: number;
  /** Half sizes: block [x, y, z]; can [radius, halfHeight]; plate [radius, halfHeight]; tray/basket/cabinet/stove [x, y, z]. */
  size: number[];
  /** Cabinet only: initial drawer opening (m). */
  open?: number;
}

/** Height of the table top (m). */
export const TABLE_Z = 0.0;
/** Where the gripper starts, above the table center (fingertips ~0.25 m up). */
export const HAND_START: [number, number, number] = [0, -0.05, 0.3];
/** Finger opening (slide joint position, m) when open; closed is 0. */
export const FINGER_OPEN = 0.045;
/** Half height of a finger: the fingertips are this far below the hand's origin. */
export const FINGER_HALF_LENGTH = 0.028;

/** Cabinet drawer geometry (m): it slides out along -y (towards the camera) up to DRAWER_TRAVEL. */
export const DRAWER_TRAVEL = 0.13;
export const DRAWER_BOTTOM_Z = 0.02;
export const DRAWER_WALL = 0.006;
const CABINET_WALL = 0.008;
/** The handle bar stands this far in front of the drawer's front panel, at this height. */
export const HANDLE_OFFSET = 0.055;
export const HANDLE_Z = 0.06;
/** The stove's button travels down this far when pressed. */
export const BUTTON_TRAVEL = 0.012;

/**
 * Collision groups: movable things (objects, fingers) touch everything; a fixture and its moving
 * part (cabinet and drawer, stove and button) never touch each other: the joint guides the part.
 */
const CABINET_GROUP = 'contype="2" conaffinity="2"';
const DRAWER_GROUP = 'contype="4" conaffinity="5"';

const rgba = (c: Rgb, a = 1) => `${c[0]} ${c[1]} ${c[2]} ${a}`;
const shade = (c: Rgb, k: number): Rgb => [c[0] * k, c[1] * k, c[2] * k];

/** Height of an object's base-to-center, i.e. where its center sits above the table. */
export function objectHalfHeight(o: SceneObject): number {
  switch (o.kind) {
    case 'can':
    case 'plate':
      return o.size[1]!;
    default:
      return o.size[2]!;
  }
}

/** Height of the surface an object placed on `o` rests on, relative to `o`'s center. */
export function surfaceAbove(o: SceneObject): number {
  return o.kind === 'basket' ? -o.size[2]! + 0.01 : objectHalfHeight(o);
}

function box(name: string, pos: number[], size: number[], c: Rgb, extra = ''): string {
  return `<geom name="${name}" type="box" pos="${pos.join(' ')}" size="${size.join(' ')}" rgba="${rgba(c)}" ${extra}/>`;
}

/** An open box (bottom and four walls) with half sizes sx, sy, sz around its center. */
function openBox(name: string, sx: number, sy: number, sz: number, t: number, c: Rgb, extra = ''): string {
  return [
    box(name, [0, 0, -sz + t], [sx, sy, t], shade(c, 0.85), extra),
    box(`${name}_w1`, [sx - t, 0, 0], [t, sy, sz], c, extra),
    box(`${name}_w2`, [-sx + t, 0, 0], [t, sy, sz], c, extra),
    box(`${name}_w3`, [0, sy - t, 0], [sx, t, sz], c, extra),
    box(`${name}_w4`, [0, -sy + t, 0], [sx, t, sz], c, extra),
  ].join('');
}

/** A cabinet's drawer interior in the drawer body's frame: half sizes and the floor's height above the table. */
export function drawerInterior(cabinet: SceneObject): { halfX: number; halfY: number; halfZ: number; floorZ: number } {
  const [sx, sy, sz] = cabinet.size as [number, number, number];
  const t = CABINET_WALL;
  const halfX = sx - 2 * t - 0.002;
  const halfY = sy - t - 0.002;
  const halfZ = (2 * sz - 2 * t - DRAWER_BOTTOM_Z) / 2 - 0.002;
  return { halfX, halfY, halfZ, floorZ: TABLE_Z + DRAWER_BOTTOM_Z + 2 * DRAWER_WALL };
}

/**
 * Cabinet: top shelf, side and back walls around a drawer. The drawer's front panel is flush with the
 * cabinet front when closed; a handle bar on two posts stands in front of it (the gripper hooks it).
 */
function cabinetBody(o: SceneObject): string {
  const [sx, sy, sz] = o.size as [number, number, number];
  const t = CABINET_WALL;
  const c = o.color;
  const shell = [
    box(o.name, [0, 0, sz - t], [sx, sy, t], c, CABINET_GROUP),
    box(`${o.name}_side1`, [sx - t, 0, 0], [t, sy, sz], shade(c, 0.8), CABINET_GROUP),
    box(`${o.name}_side2`, [-sx + t, 0, 0], [t, sy, sz], shade(c, 0.8), CABINET_GROUP),
    box(`${o.name}_back`, [0, sy - t, 0], [sx, t, sz], shade(c, 0.7), CABINET_GROUP),
  ].join('');
  // Drawer: an open box inside the shell, bottom at DRAWER_BOTTOM_Z, front panel at the cabinet front.
  const { halfX: dx, halfY: dy, halfZ: dz } = drawerInterior(o);
  const dcz = DRAWER_BOTTOM_Z + dz - sz; // drawer center relative to the cabinet center
  const front = -dy; // front panel y in the drawer frame
  const handleY = front - HANDLE_OFFSET;
  const handleZ = HANDLE_Z - sz - dcz;
  const dc: Rgb = [0.95, 0.85, 0.55];
  const hc: Rgb = [0.1, 0.1, 0.12];
  const drawer = [
    openBox(`${o.name}_drawer`, dx, dy, dz, DRAWER_WALL, dc, DRAWER_GROUP),
    box(`${o.name}_handle`, [0, handleY, handleZ], [0.04, 0.005, 0.005], hc, DRAWER_GROUP),
    box(`${o.name}_post1`, [0.035, (handleY + front) / 2, handleZ], [0.005, HANDLE_OFFSET / 2, 0.005], hc, DRAWER_GROUP),
    box(`${o.name}_post2`, [-0.035, (handleY + front) / 2, handleZ], [0.005, HANDLE_OFFSET / 2, 0.005], hc, DRAWER_GROUP),
  ].join('');
  return `<body name="${o.name}" pos="${o.x} ${o.y} ${TABLE_Z + sz}">${shell}
      <body name="${o.name}_drawer" pos="0 0 ${dcz}">
        <joint name="${o.name}_drawer" type="slide" axis="0 -1 0" range="0 ${DRAWER_TRAVEL}" damping="8" frictionloss="0.3" armature="0.05"/>
        <inertial pos="0 0 0" mass="0.3" diaginertia="0.002 0.002 0.002"/>
        ${drawer}
      </body></body>`;
}

/** Stove: a dark base with a burner ring and a button that stays down once pressed (friction). */
function stoveBody(o: SceneObject): string {
  const [sx, sy, sz] = o.size as [number, number, number];
  const bx = sx - 0.025;
  const by = -sy + 0.025;
  return `<body name="${o.name}" pos="${o.x} ${o.y} ${TABLE_Z + sz}">
      ${box(o.name, [0, 0, 0], [sx, sy, sz], o.color, CABINET_GROUP)}
      <geom name="${o.name}_burner" type="cylinder" pos="-0.012 0.01 ${sz}" size="0.045 0.002" rgba="0.85 0.15 0.05 1" contype="0" conaffinity="0"/>
      <body name="${o.name}_button" pos="${bx} ${by} ${sz + 0.012}">
        <joint name="${o.name}_button" type="slide" axis="0 0 1" range="${-BUTTON_TRAVEL} 0" damping="3" frictionloss="2"/>
        <geom name="${o.name}_button" type="cylinder" size="0.016 0.012" rgba="1 0.9 0.1 1" mass="0.02" ${DRAWER_GROUP}/>
      </body></body>`;
}

function objectBody(o: SceneObject): string {
  const z = TABLE_Z + objectHalfHeight(o);
  const c = rgba(o.color);
  const grip = 'mass="0.05" friction="1.5 0.01 0.001" condim="4"';
  switch (o.kind) {
    case 'block':
      return `<body name="${o.name}" pos="${o.x} ${o.y} ${z}"><freejoint name="${o.name}_joint"/><geom name="${o.name}" type="box" size="${o.size.join(' ')}" rgba="${c}" ${grip}/></body>`;
    case 'can':
      return `<body name="${o.name}" pos="${o.x} ${o.y} ${z}"><freejoint name="${o.name}_joint"/><geom name="${o.name}" type="cylinder" size="${o.size.join(' ')}" rgba="${c}" ${grip}/></body>`;
    case 'plate':
      return `<body name="${o.name}" pos="${o.x} ${o.y} ${z}"><geom name="${o.name}" type="cylinder" size="${o.size.join(' ')}" rgba="${c}"/></body>`;
    case 'tray':
      return `<body name="${o.name}" pos="${o.x} ${o.y} ${z}"><geom name="${o.name}" type="box" size="${o.size.join(' ')}" rgba="${c}"/></body>`;
    case 'basket':
      return `<body name="${o.name}" pos="${o.x} ${o.y} ${z}">${openBox(o.name, o.size[0]!, o.size[1]!, o.size[2]!, 0.005, o.color)}</body>`;
    case 'cabinet':
      return cabinetBody(o);
    case 'stove':
      return stoveBody(o);
  }
}

/** The MJCF of a scene: 2 ms physics steps, the gripper, the table and the objects. */
export function sceneXml(objects: readonly SceneObject[]): string {
  const [hx, hy, hz] = HAND_START;
  return `<mujoco model="spec-vla tabletop">
  <option timestep="0.002" gravity="0 0 -9.81" cone="elliptic" impratio="5"/>
  <default><geom contype="1" conaffinity="3" solref="0.005 1" solimp="0.95 0.99 0.001"/></default>
  <worldbody>
    <!-- The floor only catches what falls off the table; it is not drawn (the renderer skips alpha 0). -->
    <geom name="floor" type="plane" pos="0 0 -0.4" size="2 2 0.1" rgba="0.35 0.35 0.38 0"/>
    <geom name="table" type="box" pos="0 0 ${TABLE_Z - 0.02}" size="0.45 0.35 0.02" rgba="0.72 0.62 0.48 1" friction="1 0.01 0.001"/>
    <body name="target" mocap="true" pos="${hx} ${hy} ${hz}"/>
    <body name="hand" pos="${hx} ${hy} ${hz}">
      <freejoint name="hand"/>
      <inertial pos="0 0 0.05" mass="0.5" diaginertia="0.002 0.002 0.002"/>
      <geom name="palm" type="box" pos="0 0 0.035" size="0.06 0.015 0.012" rgba="0.25 0.25 0.28 1" contype="0" conaffinity="0"/>
      <geom name="wrist" type="cylinder" pos="0 0 0.09" size="0.018 0.045" rgba="0.2 0.2 0.22 1" contype="0" conaffinity="0"/>
      <body name="finger_left" pos="0 0 0">
        <joint name="finger_left" type="slide" axis="-1 0 0" range="0 ${FINGER_OPEN}" damping="2"/>
        <geom name="finger_left" type="box" pos="-0.008 0 0" size="0.006 0.012 ${FINGER_HALF_LENGTH}" rgba="0.15 0.15 0.16 1" mass="0.02" friction="2 0.02 0.001" condim="4"/>
      </body>
      <body name="finger_right" pos="0 0 0">
        <joint name="finger_right" type="slide" axis="1 0 0" range="0 ${FINGER_OPEN}" damping="2"/>
        <geom name="finger_right" type="box" pos="0.008 0 0" size="0.006 0.012 ${FINGER_HALF_LENGTH}" rgba="0.15 0.15 0.16 1" mass="0.02" friction="2 0.02 0.001" condim="4"/>
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
