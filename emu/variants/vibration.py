"""Generated machine-vibration data: accelerometer windows from a rotating machine, healthy
or with one of three common faults, turned into the band energies an anomaly model reads.

A healthy machine shows its shaft speed and a few harmonics over broadband noise. The faults
change that picture the way vibration analysts describe them: imbalance raises the 1x peak,
misalignment raises 2x and 3x, and a bearing defect adds periodic impacts that ring a
high-frequency structural resonance.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE_HZ = 1000.0
WINDOW = 256  # samples per window
BANDS = 32  # features per window
FAULTS = ("imbalance", "misalignment", "bearing")


def windows(count: int, fault: str | None, rng: np.random.Generator) -> np.ndarray:
    return np.stack([one_window(fault, rng) for _ in range(count)]).astype(np.float32)


def one_window(fault: str | None, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(WINDOW) / SAMPLE_RATE_HZ
    shaft_hz = rng.uniform(20.0, 30.0)
    harmonics = np.array([1.0, 0.4, 0.15]) * rng.uniform(0.8, 1.2, 3)
    if fault == "imbalance":
        harmonics[0] *= rng.uniform(1.8, 2.6)
    elif fault == "misalignment":
        harmonics[1:] *= rng.uniform(2.0, 3.5, 2)
    signal = sum(a * np.sin(2 * np.pi * (k + 1) * shaft_hz * t + rng.uniform(0, 2 * np.pi))
                 for k, a in enumerate(harmonics))
    if fault == "bearing":
        signal = signal + bearing_impacts(t, shaft_hz, rng)
    return signal + rng.normal(0.0, 0.15, WINDOW)


def bearing_impacts(t: np.ndarray, shaft_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Decaying rings of a ~300 Hz resonance, struck at the outer-race defect frequency."""
    defect_hz = shaft_hz * rng.uniform(3.0, 3.6)
    resonance_hz = rng.uniform(260.0, 340.0)
    strength = rng.uniform(0.5, 1.0)
    since_impact = np.mod(t + rng.uniform(0, 1 / defect_hz), 1 / defect_hz)
    return strength * np.exp(-since_impact * 120.0) * np.sin(2 * np.pi * resonance_hz * since_impact)


def band_energies(signals: np.ndarray) -> np.ndarray:
    """log energy in BANDS equal-width frequency bands of a Hann-windowed spectrum."""
    spectrum = np.abs(np.fft.rfft(signals * np.hanning(WINDOW), axis=1))[:, 1:]  # drop DC
    usable = spectrum[:, : (spectrum.shape[1] // BANDS) * BANDS]
    bands = usable.reshape(len(signals), BANDS, -1)
    return np.log1p(np.sum(bands ** 2, axis=2)).astype(np.float32)


def vibration_dataset(seed: int, train: int = 1000, test_normal: int = 300, test_per_fault: int = 100):
    """(x_train, x_test, y_test): training is healthy only; y_test is 1 for a faulty window.
    Features are scaled by the healthy training set's range, so they sit near [0, 1]."""
    rng = np.random.default_rng(seed)
    x_train = band_energies(windows(train, None, rng))
    test_parts = [band_energies(windows(test_normal, None, rng))]
    test_parts += [band_energies(windows(test_per_fault, fault, rng)) for fault in FAULTS]
    x_test = np.concatenate(test_parts)
    y_test = np.concatenate([np.zeros(test_normal), np.ones(test_per_fault * len(FAULTS))]).astype(np.int64)
    low, high = x_train.min(axis=0), x_train.max(axis=0)
    scale = np.where(high > low, high - low, 1.0)
    return (x_train - low) / scale, (x_test - low) / scale, y_test
