"""emu: a TinyML device emulator.

Build a .tflite model into Cortex-M firmware, boot it in an emulated machine, and turn
what the CPU executed into cycles, latency, energy, flash and RAM.
"""

__version__ = "0.1.0"
