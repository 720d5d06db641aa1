"""The Qt window: its panes and widgets here, dialogs in `dialogs/`, the controllers that run
engine work on background threads for it in `controllers/`."""
