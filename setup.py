"""Packaging glue that pyproject.toml cannot express: ship the top-level lessons/ folder as `tutor.lessons`,
so lessons are found from a source checkout (lessons/) and from an installed wheel (tutor/lessons/)."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["tutor", "tutor.*"]) + ["tutor.lessons"],
    package_dir={"tutor.lessons": "lessons"},
    package_data={"tutor": ["data/*.toml", "data/web/*"], "tutor.lessons": ["*.toml", "*.md"]},
)
