/**
 * A small z-buffered triangle rasterizer for MuJoCo's geoms (no GL in Node): boxes, cylinders,
 * spheres and planes from their world poses, flat Lambert shading with one directional light, and
 * shadows cast straight down by an overhead lamp onto upward-facing surfaces.
 */
import type { RgbImage } from '../model/index.js';


export interface Camera {
  eye: [number, number, number];
  target: [number, number, number];
  /** Vertical field of view, degrees. */
  fovy: number;
}

/** The agent view: in front of the table and above it, the whole workspace in frame. */
export const AGENT_VIEW: Camera = { eye: [0, -0.56, 0.5], target: [0, 0.05, 0.0], fovy: 50 };

/** The wrist view: just behind the fingers, below the palm, looking down and forward past the fingertips. */
export function wristView(eef: readonly number[]): Camera {
  return { eye: [eef[0]!, eef[1]! - 0.06, eef[2]! + 0.01], target: [eef[0]!, eef[1]! + 0.04, eef[2]! - 0.1], fovy: 80 };
}

export interface GeomPose {
  type: number; // mjtGeom: 0 plane, 2 sphere, 5 cylinder, 6 box
  size: ArrayLike<number>;
  pos: ArrayLike<number>;
  /** Row-major 3x3 rotation. */
  mat: ArrayLike<number>;
  rgba: ArrayLike<number>;
}

type V3 = [number, number, number];
const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: V3, b: V3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: V3): V3 => {
  const l = Math.hypot(...a) || 1;
  return [a[0] / l, a[1] / l, a[2] / l];
};

/** Local-frame triangles of a unit primitive, cached per (type, segments). */
const meshCache = new Map<string, V3[][]>();

function cylinderMesh(segments: number): V3[][] {
  const tris: V3[][] = [];
  for (let i = 0; i < segments; i++) {
    const a0 = (2 * Math.PI * i) / segments;
    const a1 = (2 * Math.PI * (i + 1)) / segments;
    const p0: V3 = [Math.cos(a0), Math.sin(a0), 0];
    const p1: V3 = [Math.cos(a1), Math.sin(a1), 0];
    const [b0, b1, t0, t1]: V3[] = [[p0[0], p0[1], -1], [p1[0], p1[1], -1], [p0[0], p0[1], 1], [p1[0], p1[1], 1]];
    tris.push([b0!, b1!, t1!], [b0!, t1!, t0!], [[0, 0, 1], t0!, t1!], [[0, 0, -1], b1!, b0!]);
  }
  return tris;
}

function boxMesh(): V3[][] {
  const c = (x: number, y: number, z: number): V3 => [x, y, z];
  const f = (a: V3, b: V3, cc: V3, d: V3) => [[a, b, cc], [a, cc, d]] as V3[][];
  return [
    ...f(c(-1, -1, 1), c(1, -1, 1), c(1, 1, 1), c(-1, 1, 1)),
    ...f(c(-1, 1, -1), c(1, 1, -1), c(1, -1, -1), c(-1, -1, -1)),
    ...f(c(-1, -1, -1), c(1, -1, -1), c(1, -1, 1), c(-1, -1, 1)),
    ...f(c(1, 1, -1), c(-1, 1, -1), c(-1, 1, 1), c(1, 1, 1)),
    ...f(c(1, -1, -1), c(1, 1, -1), c(1, 1, 1), c(1, -1, 1)),
    ...f(c(-1, 1, -1), c(-1, -1, -1), c(-1, -1, 1), c(-1, 1, 1)),
  ];
}

function sphereMesh(): V3[][] {
  const tris: V3[][] = [];
  const rings = 6;
  const segs = 10;
  const at = (r: number, s: number): V3 => {
    const th = (Math.PI * r) / rings;
    const ph = (2 * Math.PI * s) / segs;
    return [Math.sin(th) * Math.cos(ph), Math.sin(th) * Math.sin(ph), Math.cos(th)];
  };
  for (let r = 0; r < rings; r++) for (let s = 0; s < segs; s++) tris.push([at(r, s), at(r + 1, s), at(r + 1, s + 1)], [at(r, s), at(r + 1, s + 1), at(r, s + 1)]);
  return tris;
}

function unitMesh(type: number): V3[][] {
  const key = String(type);
  let m = meshCache.get(key);
  if (!m) {
    m = type === 5 ? cylinderMesh(20) : type === 2 ? sphereMesh() : boxMesh();
    meshCache.set(key, m);
  }
  return m;
}

/** Scale of the unit mesh for a geom's MuJoCo size. */
function meshScale(g: GeomPose): V3 {
  const s = g.size;
  if (g.type === 0) return [s[0] || 2, s[1] || 2, 0];
  if (g.type === 2) return [s[0]!, s[0]!, s[0]!];
  if (g.type === 5) return [s[0]!, s[0]!, s[1]!];
  return [s[0]!, s[1]!, s[2]!];
}

/** Nearest depth drawn (m): geometry closer to the camera is clipped away. */
const NEAR = 0.01;

/** A camera's orthonormal basis (right, up, forward) and focal length in pixels for an image H pixels high. */
function cameraBasis(cam: Camera, H: number): { right: V3; up: V3; fwd: V3; f: number } {
  const fwd = norm(sub(cam.target, cam.eye));
  const right = norm(cross(fwd, [0, 0, 1]));
  return { right, up: cross(right, fwd), fwd, f: (1 / Math.tan((cam.fovy * Math.PI) / 360)) * (H / 2) };
}

/** A camera's view transform: world -> camera space [right, up, depth], and camera space -> pixel [x, y, depth]. */
function viewOf(cam: Camera, W: number, H: number): { toCamera: (p: readonly number[]) => V3; toPixel: (c: V3) => V3 } {
  const { right, up, fwd, f } = cameraBasis(cam, H);
  return {
    toCamera: (p) => {
      const d: V3 = [p[0]! - cam.eye[0], p[1]! - cam.eye[1], p[2]! - cam.eye[2]];
      return [dot(d, right), dot(d, up), dot(d, fwd)];
    },
    toPixel: (c) => [W / 2 + (c[0] * f) / c[2], H / 2 - (c[1] * f) / c[2], c[2]],
  };
}

/** Maps a world point to [pixel x, pixel y, depth along the view axis] for a W x H image (pinhole, square pixels). */
export function projector(cam: Camera, W: number, H: number): (p: readonly number[]) => V3 {
  const { toCamera, toPixel } = viewOf(cam, W, H);
  return (p) => toPixel(toCamera(p));
}

/** Clips a camera-space polygon to depth >= NEAR (Sutherland-Hodgman against one plane). */
function clipNear(poly: V3[]): V3[] {
  const out: V3[] = [];
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    if (a[2] >= NEAR) out.push(a);
    if (a[2] >= NEAR !== b[2] >= NEAR) {
      const t = (NEAR - a[2]) / (b[2] - a[2]);
      out.push([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, NEAR]);
    }
  }
  return out;
}

/** Sky color behind the table: a vertical gradient so the frame is never flat. */
const SKY: V3 = [0.78, 0.84, 0.9];

/**
 * The overhead lamp's shadow map: the highest surface over each 2.5 mm cell of the workspace, seen
 * straight down. A hand's shadow then lies right below it, so the gap between the hand and its shadow
 * shows its height, which one oblique camera cannot otherwise tell from its distance.
 */
const SHADOW = { x0: -0.5, y0: -0.4, cell: 0.0025, nx: 400, ny: 320 } as const;
/** A surface is shaded when something lies this far above it (keeps a surface from shadowing itself). */
const SHADOW_BIAS = 0.004;
/** How much light a shadowed surface keeps. */
const SHADOW_LIGHT = 0.55;

/** A z-buffered target: 1/depth per pixel (larger = nearer); color and a "faces up" mark when drawn for the eye. */
interface Target {
  width: number;
  height: number;
  depth: Float32Array;
  color?: Uint8Array;
  facesUp?: Uint8Array;
}

export class Rasterizer {
  readonly color: Uint8Array;
  private readonly depth: Float32Array;
  private readonly facesUp: Uint8Array;
  /** The sky, drawn once; each frame starts as a copy of it. */
  private readonly background: Uint8Array;
  /** Highest surface + 1 m per shadow cell (stored like 1/depth so the same fill keeps the maximum). */
  private readonly shadowMap = new Float32Array(SHADOW.nx * SHADOW.ny);

  constructor(
    readonly width: number,
    readonly height: number,
    /** Cast the overhead lamp's shadows (off reproduces frames rendered before shadows existed). */
    readonly shadows = true,
  ) {
    this.color = new Uint8Array(width * height * 3);
    this.depth = new Float32Array(width * height);
    this.facesUp = new Uint8Array(width * height);
    this.background = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      const t = Math.floor(i / width) / height;
      for (let c = 0; c < 3; c++) this.background[i * 3 + c] = Math.round(255 * SKY[c]! * (1 - 0.25 * t));
    }
  }

  render(geoms: readonly GeomPose[], cam: Camera): RgbImage {
    const { width: W, height: H } = this;
    this.color.set(this.background);
    this.depth.fill(0);
    this.facesUp.fill(0);
    this.shadowMap.fill(0);
    const eye: Target = { width: W, height: H, depth: this.depth, color: this.color, facesUp: this.facesUp };
    const lamp: Target = { width: SHADOW.nx, height: SHADOW.ny, depth: this.shadowMap };
    const light = norm([0.3, -0.5, 1]);
    const { toCamera, toPixel } = viewOf(cam, W, H);
    // Orthographic straight down: fill interpolates the third coordinate's inverse, so pass 1/(z + 1).
    const toShadowCell = (p: V3): V3 => [(p[0] - SHADOW.x0) / SHADOW.cell, (p[1] - SHADOW.y0) / SHADOW.cell, 1 / (p[2] + 1)];
    for (const g of geoms) {
      if (g.rgba[3]! <= 0) continue;
      const sc = meshScale(g);
      const m = g.mat;
      const world = (v: V3): V3 => {
        const x = v[0] * sc[0];
        const y = v[1] * sc[1];
        const z = v[2] * sc[2];
        return [g.pos[0]! + m[0]! * x + m[1]! * y + m[2]! * z, g.pos[1]! + m[3]! * x + m[4]! * y + m[5]! * z, g.pos[2]! + m[6]! * x + m[7]! * y + m[8]! * z];
      };
      const tris = g.type === 0 ? [[[-1, -1, 0], [1, -1, 0], [1, 1, 0]], [[-1, -1, 0], [1, 1, 0], [-1, 1, 0]]] as V3[][] : unitMesh(g.type);
      for (const t of tris) {
        const a = world(t[0]!);
        const b = world(t[1]!);
        const c = world(t[2]!);
        // Below the table top a triangle can shadow nothing (every upward surface is above it).
        if (this.shadows && (a[2] > SHADOW_BIAS || b[2] > SHADOW_BIAS || c[2] > SHADOW_BIAS)) fill(lamp, toShadowCell(a), toShadowCell(b), toShadowCell(c), null, false);
        const n = norm(cross(sub(b, a), sub(c, a)));
        if (dot(n, sub(a, cam.eye)) >= 0) continue; // back face
        const shade = 0.45 + 0.55 * Math.max(0, dot(n, light));
        const rgb: V3 = [g.rgba[0]! * shade, g.rgba[1]! * shade, g.rgba[2]! * shade];
        const up = n[2] > 0.5;
        const ca = toCamera(a);
        const cb = toCamera(b);
        const cc = toCamera(c);
        if (ca[2] >= NEAR && cb[2] >= NEAR && cc[2] >= NEAR) {
          fill(eye, toPixel(ca), toPixel(cb), toPixel(cc), rgb, up);
          continue;
        }
        // Partly behind the camera (the table seen from the wrist): draw the visible part as a fan.
        const poly = clipNear([ca, cb, cc]).map(toPixel);
        for (let k = 1; k + 1 < poly.length; k++) fill(eye, poly[0]!, poly[k]!, poly[k + 1]!, rgb, up);
      }
    }
    if (this.shadows) this.shade(cam);
    return { width: W, height: H, data: this.color.slice() };
  }

  /** Darkens every upward-facing pixel with something above it in the shadow map. */
  private shade(cam: Camera): void {
    const { width: W, height: H, depth, facesUp, color, shadowMap } = this;
    // A pixel's world point is eye + depth · (fwd + right·(px - W/2)/f - up·(py - H/2)/f).
    const { right, up, fwd, f } = cameraBasis(cam, H);
    for (let y = 0; y < H; y++) {
      const sy = -(y + 0.5 - H / 2) / f;
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        if (!facesUp[i]) continue;
        const sx = (x + 0.5 - W / 2) / f;
        const d = 1 / depth[i]!;
        const px = cam.eye[0] + d * (fwd[0] + right[0] * sx + up[0] * sy);
        const py = cam.eye[1] + d * (fwd[1] + right[1] * sx + up[1] * sy);
        const pz = cam.eye[2] + d * (fwd[2] + right[2] * sx + up[2] * sy);
        const u = Math.floor((px - SHADOW.x0) / SHADOW.cell);
        const v = Math.floor((py - SHADOW.y0) / SHADOW.cell);
        if (u < 0 || v < 0 || u >= SHADOW.nx || v >= SHADOW.ny) continue;
        if (shadowMap[v * SHADOW.nx + u]! - 1 <= pz + SHADOW_BIAS) continue;
        for (let c = 0; c < 3; c++) color[i * 3 + c] = Math.round(color[i * 3 + c]! * SHADOW_LIGHT);
      }
    }
  }
}

/**
 * Fills a screen-space triangle (pixel x, pixel y, depth) into `t`. Edge functions and 1/depth are
 * affine in screen space, so they are stepped per pixel; the depth buffer holds 1/depth (larger =
 * nearer). Without `rgb` only the depth is written (the shadow map).
 */
function fill(t: Target, a: V3, b: V3, c: V3, rgb: V3 | null, up: boolean): void {
  const { width: W, height: H, depth, color, facesUp } = t;
  const minX = Math.max(0, Math.floor(Math.min(a[0], b[0], c[0])));
  const maxX = Math.min(W - 1, Math.ceil(Math.max(a[0], b[0], c[0])));
  const minY = Math.max(0, Math.floor(Math.min(a[1], b[1], c[1])));
  const maxY = Math.min(H - 1, Math.ceil(Math.max(a[1], b[1], c[1])));
  const area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  if (Math.abs(area) < 1e-9 || minX > maxX || minY > maxY) return;
  const inv = 1 / area;
  // Barycentric weights: w0 = ((b.x - px)(c.y - py) - (b.y - py)(c.x - px)) / area, likewise w1; w2 = 1 - w0 - w1.
  const w0dx = (b[1] - c[1]) * inv;
  const w1dx = (c[1] - a[1]) * inv;
  const [za, zb, zc] = [1 / a[2], 1 / b[2], 1 / c[2]];
  const r = rgb ? Math.round(255 * Math.min(1, rgb[0])) : 0;
  const gg = rgb ? Math.round(255 * Math.min(1, rgb[1])) : 0;
  const bb = rgb ? Math.round(255 * Math.min(1, rgb[2])) : 0;
  for (let y = minY; y <= maxY; y++) {
    const py = y + 0.5;
    const px0 = minX + 0.5;
    let w0 = ((b[0] - px0) * (c[1] - py) - (b[1] - py) * (c[0] - px0)) * inv;
    let w1 = ((c[0] - px0) * (a[1] - py) - (c[1] - py) * (a[0] - px0)) * inv;
    for (let x = minX; x <= maxX; x++, w0 += w0dx, w1 += w1dx) {
      const w2 = 1 - w0 - w1;
      if (w0 < 0 || w1 < 0 || w2 < 0) continue;
      const invZ = w0 * za + w1 * zb + w2 * zc;
      const i = y * W + x;
      if (invZ <= depth[i]!) continue;
      depth[i] = invZ;
      if (!rgb || !color || !facesUp) continue;
      color[i * 3] = r;
      color[i * 3 + 1] = gg;
      color[i * 3 + 2] = bb;
      facesUp[i] = up ? 1 : 0;
    }
  }
}
