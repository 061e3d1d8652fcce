/**
 * Measuring audio: the Goertzel algorithm (the energy of one frequency, cheaper than an FFT when only a few
 * frequencies matter — DTMF, tone detection, and every test that checks audio by content) and level helpers.
 */

/**
 * Squared magnitude of the signal's spectrum at `freq` Hz (a DFT term, at any frequency, not only bin
 * centres). For a sine of amplitude A over N samples it is about (A·N/2)²; see `goertzelAmplitude`.
 */
export function goertzelPower(samples: ArrayLike<number>, freq: number, rate: number, start = 0, end = samples.length): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < end; i++) {
    const s0 = (samples[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return power > 0 ? power : 0;
}

/** Estimated amplitude (peak, in sample units) of the component at `freq`: 2·|X(f)|/N. */
export function goertzelAmplitude(samples: ArrayLike<number>, freq: number, rate: number, start = 0, end = samples.length): number {
  const n = end - start;
  if (n <= 0) return 0;
  return (2 * Math.sqrt(goertzelPower(samples, freq, rate, start, end))) / n;
}

/** Root-mean-square level in sample units. */
export function rms(samples: ArrayLike<number>, start = 0, end = samples.length): number {
  const n = end - start;
  if (n <= 0) return 0;
  let sum = 0;
  for (let i = start; i < end; i++) {
    const v = samples[i] as number;
    sum += v * v;
  }
  return Math.sqrt(sum / n);
}

/** Level relative to a full-scale sine (RMS 32767/√2), in dB; -Infinity for digital silence. */
export function dbfs(samples: ArrayLike<number>, start = 0, end = samples.length): number {
  const r = rms(samples, start, end);
  return r === 0 ? -Infinity : 20 * Math.log10(r / (32767 / Math.SQRT2));
}

/** Mean absolute sample value (Asterisk's per-frame silence measure). */
export function averageMagnitude(samples: ArrayLike<number>, start = 0, end = samples.length): number {
  const n = end - start;
  if (n <= 0) return 0;
  let sum = 0;
  for (let i = start; i < end; i++) sum += Math.abs(samples[i] as number);
  return sum / n;
}

/**
 * The strongest frequency in `[minHz, maxHz]` scanned in `stepHz` steps (coarse spectrum peak, for tests
 * and diagnostics; use an FFT for anything large).
 */
export function dominantFrequency(samples: ArrayLike<number>, rate: number, minHz = 50, maxHz = rate / 2 - 50, stepHz = 5): number {
  let best = minHz;
  let bestPower = -1;
  for (let f = minHz; f <= maxHz; f += stepHz) {
    const p = goertzelPower(samples, f, rate);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return best;
}

/** Amplitude of a sine that peaks `db` below full scale (0 dBFS = 32767). */
export function amplitudeForDbfs(db: number): number {
  return 32767 * 10 ** (db / 20);
}

/** A sine wave: `amplitude · sin(2π·freq·t + phase)`, rounded to 16 bits. Handy for tests and probes. */
export function sine(freq: number, rate: number, samples: number, amplitude = 8000, phase = 0): Int16Array {
  const out = new Int16Array(samples);
  const w = (2 * Math.PI * freq) / rate;
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin(w * i + phase));
  return out;
}
