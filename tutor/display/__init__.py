"""What the learner sees: the SMTP lexers, the one colour theme, inline AUTH decoding, item formatting."""
