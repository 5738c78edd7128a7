"""Lesson data files (TOML), shipped in the wheel as the package `tutor.lessons`."""
