#!/usr/bin/env python3
"""Brian2 reference for the tile benchmark: N second-order oscillators
("compartments") integrated with Euler-Maruyama, timed per code generation
target on one thread.

Model (model time in ms, as in cortile):
    dx = v dt
    dv = [w^2 (b - x) - 2 zeta w v] dt + sigma dW
    f ~ U(5, 100) Hz, w = 2 pi f / 1000 rad/ms, zeta ~ U(0.1, 2.1), b = 1,
    sigma = sigma_x sqrt(4 zeta w^3) so that the stationary std of x is sigma_x.
Brian2 works in SI units, so the NeuronGroup runs the same equations with time
in seconds: w in rad/s, v in 1/s, sigma in s^-1.5. The Euler-Maruyama update
    x' = x + h v,  v' = v + h [w^2 (b - x) - 2 zeta w v] + sigma sqrt(h) n
is then the ms-unit update with v, w and sigma rescaled: the same physics,
step for step.

Each target runs in its own process. Runtime targets (cython, numpy) run once
briefly to compile and warm caches, then time one long run. cpp_standalone
reports the total (code generation, compilation and run), the wall time of the
generated binary and the run time the binary measures itself.

The stationary variance of x is accumulated every `--sample-ms` (a
run_regularly operation, ~1% of the steps) and reported as the mean over
oscillators of var(x_i) / sigma_x^2, beside the exact stationary variance of
the Euler-Maruyama recursion at this h (which is not sigma_x^2: the scheme is
biased for fast, lightly damped oscillators).

    python3 bench/brian2_tile.py                    # every target, >= 2.5 s wall each
    python3 bench/brian2_tile.py --duration-ms 100  # fixed model duration
Prints one JSON object per target (a line starting with '{') and a readable line.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TARGETS = ("cython", "numpy", "cpp_standalone")


def parameters(n, seed, sigma_x):
    """Oscillator parameters in ms units, identical for every target."""
    import numpy as np

    rng = np.random.default_rng(seed)
    f_hz = rng.uniform(5.0, 100.0, n)
    zeta = rng.uniform(0.1, 2.1, n)
    w = 2.0 * np.pi * f_hz / 1000.0  # rad/ms
    sigma = sigma_x * np.sqrt(4.0 * zeta * w**3)  # 1/ms^1.5
    # Start in the stationary distribution of the continuous model: no burn-in.
    x0 = sigma_x * rng.standard_normal(n)
    v0 = sigma_x * w * rng.standard_normal(n)  # 1/ms
    return w, zeta, sigma, x0, v0


def em_stationary_var(w, zeta, sigma, h):
    """Exact stationary var(x) of the Euler-Maruyama recursion (ms units):
    P = A P A^T + Q, A = [[1, h], [-w^2 h, 1 - 2 zeta w h]], Q = diag(0, sigma^2 h)."""
    import numpy as np

    out = np.empty(len(w))
    for i in range(len(w)):
        a = np.array([[1.0, h], [-w[i] ** 2 * h, 1.0 - 2.0 * zeta[i] * w[i] * h]])
        q = np.array([0.0, 0.0, 0.0, sigma[i] ** 2 * h])
        p = np.linalg.solve(np.eye(4) - np.kron(a, a), q)
        out[i] = p[0]
    return out


def build_network(b2, n, b, w, zeta, sigma, x0, v0, sample_ms):
    """The NeuronGroup in SI units and a variance accumulator."""
    eqs = """
    dx/dt = v : 1
    dv/dt = w**2*(b - x) - 2*zeta*w*v + sigma*xi : hertz
    w : hertz (constant)
    zeta : 1 (constant)
    sigma : hertz**1.5 (constant)
    sxx : 1
    nsamp : 1
    """
    g = b2.NeuronGroup(n, eqs, method="euler", namespace={"b": b}, name="tile")
    g.w = w * 1000.0 * b2.Hz  # rad/ms -> rad/s
    g.zeta = zeta
    g.sigma = sigma * 1000.0**1.5 * b2.Hz**1.5  # ms^-1.5 -> s^-1.5
    g.x = b + x0
    g.v = v0 * 1000.0 * b2.Hz
    g.run_regularly("sxx += (x - b)**2\nnsamp += 1", dt=sample_ms * b2.ms, when="end")
    return g, b2.Network(g)


def variance_ratios(g, sigma_x):
    import numpy as np

    # About the exact stationary mean b (also the mean of the Euler-Maruyama
    # recursion), not the sample mean: unbiased however long the slowest mode.
    nsamp = np.asarray(g.nsamp[:])
    var = np.asarray(g.sxx[:]) / nsamp
    return var / sigma_x**2, int(nsamp[0])


def worker(args):
    """Runs one target in this process; prints its JSON object."""
    os.environ["OMP_NUM_THREADS"] = "1"
    import numpy as np
    import brian2 as b2

    b2.prefs.logging.console_log_level = "WARNING"
    b2.seed(args.seed)
    h_ms, n, bdrive, sigma_x = args.h_ms, args.n, args.b, args.sigma_x
    w, zeta, sigma, x0, v0 = parameters(n, args.seed, sigma_x)
    target = args.worker
    result = {"simulator": "brian2", "brian2_version": b2.__version__, "target": target,
              "n": n, "h_ms": h_ms, "threads": 1}

    def steps_of(duration_ms):
        return int(round(duration_ms / h_ms))

    if target in ("cython", "numpy"):
        b2.prefs.codegen.target = target
        b2.defaultclock.dt = h_ms * b2.ms
        g, net = build_network(b2, n, bdrive, w, zeta, sigma, x0, v0, args.sample_ms)
        t0 = time.perf_counter()
        net.run(args.warm_ms * b2.ms, namespace={})  # compiles (cython) and fills the caches
        result["warmup_s"] = time.perf_counter() - t0
        duration_ms = args.duration_ms
        if duration_ms is None:  # calibrate: time a short run, scale to min_wall_s
            t0 = time.perf_counter()
            net.run(args.calib_ms * b2.ms, namespace={})
            rate = steps_of(args.calib_ms) / (time.perf_counter() - t0)
            duration_ms = max(args.calib_ms, round(1.2 * args.min_wall_s * rate * h_ms))
        g.sxx, g.nsamp = 0.0, 0.0
        t0 = time.perf_counter()
        net.run(duration_ms * b2.ms, namespace={})
        seconds = time.perf_counter() - t0
        result["wall_s"] = seconds
    else:
        from brian2 import device

        workdir = tempfile.mkdtemp(prefix="brian2_tile_")

        def standalone_run(duration_ms):
            device.reinit()
            device.activate(directory=workdir, build_on_run=False)
            b2.prefs.devices.cpp_standalone.openmp_threads = 0
            b2.defaultclock.dt = h_ms * b2.ms
            b2.seed(args.seed)
            g, net = build_network(b2, n, bdrive, w, zeta, sigma, x0, v0, args.sample_ms)
            net.run(duration_ms * b2.ms, namespace={})
            t0 = time.perf_counter()
            device.build(directory=workdir, compile=True, run=False)
            t1 = time.perf_counter()
            device.run(directory=workdir, with_output=False, run_args=[])
            t2 = time.perf_counter()
            return g, t1 - t0, t2 - t1, device._last_run_time

        try:
            b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
            duration_ms = args.duration_ms
            if duration_ms is None:
                _, _, _, run_s = standalone_run(args.calib_ms_standalone)
                rate = steps_of(args.calib_ms_standalone) / run_s
                duration_ms = max(args.calib_ms_standalone,
                                  round(1.2 * args.min_wall_s * rate * h_ms))
            g, build_s, binary_s, run_s = standalone_run(duration_ms)
            ratios, nsamp = variance_ratios(g, sigma_x)
        finally:
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
        seconds = run_s
        result.update({"build_compile_s": build_s, "binary_wall_s": binary_s,
                       "total_s": build_s + binary_s, "wall_s": run_s,
                       "compiler": b2.prefs.codegen.cpp.compiler or "gcc",
                       "cflags": " ".join(b2.prefs.codegen.cpp.extra_compile_args_gcc)})
    if target in ("cython", "numpy"):
        ratios, nsamp = variance_ratios(g, sigma_x)
    steps = steps_of(duration_ms)
    theory = em_stationary_var(w, zeta, sigma, h_ms) / sigma_x**2
    result.update({
        "duration_ms": duration_ms,
        "steps": steps,
        "compartment_steps_per_s": n * steps / seconds,
        "us_per_step": 1e6 * seconds / steps,
        "variance_samples": nsamp,
        "variance_ratio": float(np.mean(ratios)),
        "variance_ratio_se": float(np.std(ratios / theory) * np.mean(theory) / np.sqrt(n)),
        "variance_ratio_em_theory": float(np.mean(theory)),
        "variance_ratio_em_theory_max": float(np.max(theory)),
    })
    print(json.dumps(result), flush=True)


def readable(r):
    line = (f"brian2 {r['target']:<14} N={r['n']} h={r['h_ms']} ms {r['duration_ms']:g} ms "
            f"({r['steps']} steps): {r['wall_s']:.3f} s, "
            f"{r['compartment_steps_per_s'] / 1e6:.2f} M compartment-steps/s")
    if r["target"] == "cpp_standalone":
        line += (f" (binary-measured run; binary wall {r['binary_wall_s']:.3f} s, "
                 f"total with codegen+compile {r['total_s']:.1f} s = "
                 f"{r['n'] * r['steps'] / r['total_s'] / 1e6:.2f} M/s)")
    line += (f"; var(x)/sigma_x^2 = {r['variance_ratio']:.4f} +- {r['variance_ratio_se']:.4f}"
             f" (Euler-Maruyama theory {r['variance_ratio_em_theory']:.4f})")
    return line


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--targets", default=",".join(TARGETS),
                   help="comma-separated code generation targets (default: all available)")
    p.add_argument("--duration-ms", type=float, default=None,
                   help="model duration of the timed run (default: long enough for --min-wall-s)")
    p.add_argument("--min-wall-s", type=float, default=2.5,
                   help="with no --duration-ms, aim for at least this wall time per target")
    p.add_argument("--n", type=int, default=256, help="oscillators")
    p.add_argument("--h-ms", type=float, default=0.01, help="Euler-Maruyama step, model ms")
    p.add_argument("--b", type=float, default=1.0, help="constant drive")
    p.add_argument("--sigma-x", type=float, default=0.01, help="stationary std of x")
    p.add_argument("--sample-ms", type=float, default=1.0, help="variance sampling period")
    p.add_argument("--warm-ms", type=float, default=5.0, help="warm-up run (runtime targets)")
    p.add_argument("--calib-ms", type=float, default=50.0, help=argparse.SUPPRESS)
    p.add_argument("--calib-ms-standalone", type=float, default=500.0, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", action="store_true", help="keep the standalone build folder")
    p.add_argument("--json", action="store_true", help="print only the JSON objects")
    p.add_argument("--worker", choices=TARGETS, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
        return 0

    targets = [t for t in args.targets.split(",") if t]
    for t in targets:
        if t not in TARGETS:
            p.error(f"unknown target '{t}' (known: {', '.join(TARGETS)})")
    status = 0
    for t in targets:
        if t == "cpp_standalone" and not (shutil.which("g++") or shutil.which("c++")):
            print(f"brian2 {t}: skipped: no C++ compiler", file=sys.stderr)
            continue
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", t]
        for key in ("duration_ms", "min_wall_s", "n", "h_ms", "b", "sigma_x", "sample_ms",
                    "warm_ms", "calib_ms", "calib_ms_standalone", "seed"):
            if getattr(args, key) is not None:
                cmd += ["--" + key.replace("_", "-"), str(getattr(args, key))]
        if args.keep:
            cmd.append("--keep")
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   PYTHONWARNINGS="ignore")
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
        if proc.returncode != 0 or not lines:
            print(f"brian2 {t}: failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}",
                  file=sys.stderr)
            status = 1
            continue
        r = json.loads(lines[-1])
        print(lines[-1], flush=True)
        if not args.json:
            print(readable(r), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
