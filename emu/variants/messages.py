"""One-line messages from the long, many-line exceptions TensorFlow and Keras raise."""

from __future__ import annotations

from emu.errors import first_line


def tf_first_line(e: Exception) -> str:
    """The converter's own diagnosis ("'tf.Svd' op is neither a custom op nor a flex op"),
    which TensorFlow puts after an MLIR location and "error: " inside a longer first line,
    when it gives one; else the message's first line (emu.errors.first_line)."""
    text = str(e)
    if "error: " in text:
        text = text.split("error: ", 1)[1]
    return first_line(text) or type(e).__name__
