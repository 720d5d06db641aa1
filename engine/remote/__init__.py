"""A remote engine: any OpenAI-compatible server (llama.cpp's llama-server, vLLM, Ollama, LM Studio,
another Longwit) standing in for the local model, behind the same packer and session."""
