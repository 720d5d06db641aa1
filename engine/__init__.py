"""Everything that thinks: loading GGUF models, chat formatting, fitting the context window and
streaming generation with cancellation, all on one thread that owns the model."""
