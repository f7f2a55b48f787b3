"""The LLM path of extraction: an OpenAI-compatible client, the prompts, the LLM extractor and reconciler."""
