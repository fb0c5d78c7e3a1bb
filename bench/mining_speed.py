"""Topic-mining speed: re-mine 100,000 stored vectors, attach one new ticket, cold-mine estimate.

    .venv/bin/python -m bench.mining_speed --data ../shared/data [--tickets 100000]

The 100,000 stored vectors are real BANKING77 (+ multilingual) vectors replicated with noise, so
they keep a realistic topic structure (77 intents, several languages). Peak RSS is the process's
maximum resident size after the re-mine (encoders are loaded only afterwards). On a shared
machine the timings are upper bounds.
"""

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core import blas  # noqa: E402
from app.success import mining  # noqa: E402
from app.success.mining import space  # noqa: E402
from bench.mining_quality import banking77, banking77_ml  # noqa: E402


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic(base, langs, n, rng, noise=0.02):
    """n stored-format vectors: random real rows plus small Gaussian noise, parts re-normalised."""
    pick = rng.integers(0, len(base), n)
    out = np.empty((n, base.shape[1]), np.float32)
    for start in range(0, n, 10_000):
        rows = base[pick[start : start + 10_000]]
        rows = rows + rng.normal(0, noise, rows.shape).astype(np.float32)
        e5, use = rows[:, : space.E5_DIM], rows[:, space.E5_DIM :]
        e5 /= np.linalg.norm(e5, axis=1, keepdims=True)
        use /= np.linalg.norm(use, axis=1, keepdims=True)
        out[start : start + 10_000] = rows
    return out, [langs[i] for i in pick]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--cache", default="/tmp/tandem-mining-bench")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--attach-samples", type=int, default=60)
    parser.add_argument("--encode-sample", type=int, default=500, help="tickets encoded to estimate a cold mine")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads, as a worker with BLAS_THREADS has them (default 1; 0: OpenBLAS's own)")
    args = parser.parse_args(argv)
    blas.limit(args.blas_threads)
    rng = np.random.default_rng(0)

    texts, langs, _labels, vectors = banking77(args.data, args.cache)
    ml_texts, ml_langs, _l, ml_vectors, _t = banking77_ml(args.data, args.cache)
    base = np.concatenate([vectors, ml_vectors])
    base_langs = langs + ml_langs
    stored, stored_langs = synthetic(base, base_langs, args.tickets, rng)
    del vectors, ml_vectors
    print(f"before mining: peak RSS {_rss_mb():.0f} MB (the {args.tickets} stored vectors alone are {stored.nbytes / 2**20:.0f} MB)")

    started = time.perf_counter()
    cpu = time.process_time()
    result = mining.mine(stored, stored_langs)
    took = time.perf_counter() - started
    cpu = time.process_time() - cpu
    placed = (result.labels >= 0).mean()
    print(
        f"re-mine {args.tickets} stored vectors: {took:.1f} s wall ({cpu:.1f} s CPU), peak RSS {_rss_mb():.0f} MB, "
        f"{len(result.centroids)} topics, {placed:.1%} placed"
    )
    state = mining.state_from_dict(mining.state_to_dict(result))

    # One new ticket: embed (both encoders) and attach, after a warm-up that loads the models.
    new_texts = texts[: args.attach_samples] + ml_texts[: args.attach_samples // 2]
    mining.embed_tickets(new_texts[:2], [None, None])
    times, cpu_times, attach_times = [], [], []
    for text in new_texts:
        t0, c0 = time.perf_counter(), time.thread_time()
        lang = mining.detect_language(text)
        vector = mining.embed_tickets([mining.ticket_text(None, text)], [lang])[0]
        t1 = time.perf_counter()
        mining.attach(vector, lang, state)
        attach_times.append((time.perf_counter() - t1) * 1000)
        times.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.thread_time() - c0) * 1000)
    p50, p95 = np.percentile(times, [50, 95])
    c50, c95 = np.percentile(cpu_times, [50, 95])
    a50, a95 = np.percentile(attach_times, [50, 95])
    print(
        f"embed + attach one new ticket ({len(times)} tickets): p50 {p50:.1f} ms, p95 {p95:.1f} ms wall; "
        f"CPU of this thread p50 {c50:.1f} ms, p95 {c95:.1f} ms; attach alone p50 {a50:.2f} ms, p95 {a95:.2f} ms"
    )

    sample = texts[: args.encode_sample]
    t0 = time.perf_counter()
    mining.embed_tickets(sample, ["en"] * len(sample))
    per_ticket = (time.perf_counter() - t0) / len(sample)
    encode_total = per_ticket * args.tickets
    print(
        f"cold mine {args.tickets} (ESTIMATE: encoding measured on {len(sample)} tickets, {1 / per_ticket:.0f} tickets/s, "
        f"times {args.tickets} = {encode_total / 60:.1f} min) + re-mine {took:.0f} s = {(encode_total + took) / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
