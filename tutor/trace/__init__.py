"""The tracer: transcripts recorded by the tutor, importers for captured exchanges, and the annotator."""
