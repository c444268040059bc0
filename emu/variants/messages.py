"""One-line messages from the long, many-line exceptions TensorFlow and Keras raise."""

from __future__ import annotations


def first_line(e: Exception) -> str:
    """The converter's own diagnosis ("'tf.Svd' op is neither a custom op nor a flex op")
    when it gives one, else the first non-empty line of the message."""
    text = str(e)
    if "error: " in text:
        text = text.split("error: ", 1)[1]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(e).__name__
