"""The loaded model over the OpenAI HTTP API (`longwit serve`): requests parsed into typed objects
(`requests`), answered on the model's own thread (`served_model`), shaped as OpenAI's replies
(`replies`), and served by one Starlette app (`app`) under uvicorn (`server`)."""
