"""The classroom view of `smtp-tutor serve` (sans-IO): per-session summaries, mistakes, class totals, reports."""
