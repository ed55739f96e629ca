export { TabletopEnv, loadPhysics, CONTROL_HZ, MAX_TRANSLATION, MAX_ROTATION, type Observation, type RobotState } from './env.js';
export { sceneXml, objectHalfHeight, TABLE_Z, HAND_START, FINGER_OPEN, type SceneObject, type Rgb } from './scene.js';
export { Rasterizer, AGENT_VIEW, type Camera, type GeomPose } from './render.js';
export { SUITES, STEP_LIMITS, INITIAL_STATES, suiteTasks, getTask, goalHolds, type SuiteName, type Task, type PlaceGoal } from './tasks.js';
export { PickPlaceExpert } from './expert.js';
export { runEpisode, expertPolicy, NO_OP_STEPS, type Policy, type EpisodeOptions, type EpisodeResult } from './episode.js';
