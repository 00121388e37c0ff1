import type { ProviderCapabilities } from "../provider.ts";
import type { OpenAICompatiblePreset } from "./base.ts";

/** Capabilities shared by most OpenAI-compatible hosts; presets override what differs. */
const FULL: ProviderCapabilities = {
  chat: true,
  streaming: true,
  tools: true,
  vision: true,
  image_urls: true,
  json_mode: true,
  embeddings: false,
  completions: false,
};

const LOCAL_AUTH = "none by default (a key, if the server wants one, as Authorization: Bearer)";

/**
 * OpenAI itself and the OpenAI-compatible hosts: base URL, auth, capabilities, quirks. Local
 * servers default to their usual localhost port and need no key; set custom_host to move them.
 */
export const OPENAI_COMPATIBLE_PRESETS = {
  openai: {
    id: "openai",
    baseUrl: "https://api.openai.com/v1",
    auth: "bearer",
    capabilities: { ...FULL, embeddings: true, completions: true },
    models: ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3", "o4-mini", "text-embedding-3-small"],
    passThroughErrors: true,
    responses: true,
    responsesStored: true,
    media: { images: true, speech: true, transcriptions: true },
  },
  groq: {
    id: "groq",
    baseUrl: "https://api.groq.com/openai/v1",
    auth: "bearer",
    capabilities: FULL,
    models: ["llama-3.3-70b-versatile", "llama-3.1-8b-instant", "openai/gpt-oss-120b"],
    responses: true,
    // Whisper transcriptions and PlayAI speech; no image models.
    media: { images: false, speech: true, transcriptions: true },
    // Groq rejects these OpenAI fields.
    quirks: { dropParams: ["logprobs", "top_logprobs", "logit_bias"] },
  },
  together: {
    id: "together",
    baseUrl: "https://api.together.xyz/v1",
    auth: "bearer",
    capabilities: { ...FULL, embeddings: true, completions: true },
    models: ["meta-llama/Llama-3.3-70B-Instruct-Turbo", "deepseek-ai/DeepSeek-V3", "Qwen/Qwen2.5-72B-Instruct-Turbo"],
    // FLUX image models on the OpenAI images API.
    media: { images: true, speech: false, transcriptions: false },
  },
  fireworks: {
    id: "fireworks",
    baseUrl: "https://api.fireworks.ai/inference/v1",
    auth: "bearer",
    capabilities: { ...FULL, embeddings: true, completions: true },
    models: ["accounts/fireworks/models/llama-v3p1-8b-instruct", "accounts/fireworks/models/deepseek-v3"],
  },
  deepseek: {
    id: "deepseek",
    baseUrl: "https://api.deepseek.com/v1",
    auth: "bearer",
    // Text only; cache hits are reported as prompt_cache_hit_tokens (mapped in base.ts).
    capabilities: { ...FULL, vision: false, image_urls: false },
    models: ["deepseek-chat", "deepseek-reasoner"],
  },
  openrouter: {
    id: "openrouter",
    baseUrl: "https://openrouter.ai/api/v1",
    auth: "bearer",
    capabilities: { ...FULL, completions: true },
    models: ["openai/gpt-4o-mini", "anthropic/claude-sonnet-4", "google/gemini-2.5-flash"],
  },
  xai: {
    id: "xai",
    baseUrl: "https://api.x.ai/v1",
    auth: "bearer",
    capabilities: FULL,
    models: ["grok-3", "grok-3-mini", "grok-4"],
    responses: true,
    media: { images: true, speech: false, transcriptions: false },
  },
  perplexity: {
    id: "perplexity",
    baseUrl: "https://api.perplexity.ai",
    auth: "bearer",
    // Sonar: no tools, no json_object mode, images not accepted here.
    capabilities: { ...FULL, tools: false, vision: false, image_urls: false, json_mode: false },
    models: ["sonar", "sonar-pro", "sonar-reasoning"],
  },
  mistral: {
    id: "mistral",
    baseUrl: "https://api.mistral.ai/v1",
    auth: "bearer",
    capabilities: { ...FULL, embeddings: true },
    models: ["mistral-large-latest", "mistral-small-latest", "pixtral-large-latest", "mistral-embed"],
    // Mistral refuses unknown fields (stream_options) and sends stream usage unasked.
    quirks: { streamUsage: false, dropParams: ["stream_options", "store", "metadata", "service_tier"] },
  },
  ollama: {
    id: "ollama",
    baseUrl: "http://localhost:11434/v1",
    auth: "none",
    authDescription: LOCAL_AUTH,
    capabilities: { ...FULL, embeddings: true, completions: true },
    models: ["llama3.2", "qwen2.5", "mistral"],
  },
  vllm: {
    id: "vllm",
    baseUrl: "http://localhost:8000/v1",
    auth: "none",
    authDescription: LOCAL_AUTH,
    capabilities: { ...FULL, embeddings: true, completions: true },
    models: [],
  },
  lmstudio: {
    id: "lmstudio",
    baseUrl: "http://localhost:1234/v1",
    auth: "none",
    authDescription: LOCAL_AUTH,
    capabilities: { ...FULL, embeddings: true, completions: true },
    models: [],
  },
} as const satisfies Record<string, OpenAICompatiblePreset>;
