export { TabletopEnv, loadPhysics, CONTROL_HZ, MAX_TRANSLATION, MAX_ROTATION, type Observation, type RobotState, type EnvOptions } from './env.js';
export { sceneXml, objectHalfHeight, TABLE_Z, HAND_START, FINGER_OPEN, DRAWER_TRAVEL, drawerInterior, type SceneObject, type Rgb } from './scene.js';
export { Rasterizer, AGENT_VIEW, wristView, projector, type Camera, type GeomPose } from './render.js';
export { encodeGif, filmstrip } from './media.js';
export { SUITES, STEP_LIMITS, INITIAL_STATES, TRAINING_STATES, isValidState, suiteTasks, getSuite, getTask, goalHolds, relabelledLayout, type SuiteName, type Suite, type Task, type Goal } from './tasks.js';
export { Expert, EXPERT_SPEED } from './expert.js';
export { runEpisode, expertPolicy, NO_OP_STEPS, type Policy, type EpisodeOptions, type EpisodeResult } from './episode.js';
