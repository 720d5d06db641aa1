"""The window's dialogs: model picker, settings, shortcuts."""
