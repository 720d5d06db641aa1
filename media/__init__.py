"""Turning the world into text and back: document readers, audio, speech recognition and synthesis."""
