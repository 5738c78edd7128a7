"""Importers: one small module per capture format, each `read(source) -> records`; detect.py picks one."""
