export { Checkpoint, SafetensorsFile, encodeSafetensors, type SafetensorsDType } from './safetensors.js';
export { ActionTokenizer, N_BINS, unnormalizeAction, normalizeAction, gripperToEnv, gripperFromEnv, type NormStats } from './action-tokenizer.js';
export { KvCache } from './kv-cache.js';
export { LlamaLayer, LlamaModel, causalMask, type LlamaConfig, type LlamaLayerWeights, type DecoderOutput, type TensorSource } from './llama.js';
export { randomSource } from './random-weights.js';
