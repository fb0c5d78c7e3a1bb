"""What Tandem's two BERT-shaped sentence encoders share: the 8-bit ONNX Runtime graph and its runs.

multilingual-e5-small (`app.nlp.e5`) and all-MiniLM-L6-v2 (`app.nlp.minilm`) are both post-norm
BERT encoders with mean pooling. Each reads its own model file and tokenizer; this module builds
the graph from their float32 weights (`bert_graph`), feeds one text per run with the two special
tokens first (`ends_first`) and shares the texts of a batch among threads (`U8Encoder.encode`).

Weights are 8 bits with one scale per output, stored around 128 (u8): u8 × u8 products never
saturate AVX2's 16-bit sums, which int8 weights do (measured on e5: worse vectors). Activations
are rounded to 8 bits per run, the two special tokens with their own scale (see `_linear`).
"""

import threading
from dataclasses import dataclass

import numpy as np

WORD_CACHE = 200_000  # tokenized words kept per process and encoder
CACHED_WORD = 24  # characters: longer "words" (a whole Chinese or Japanese sentence) are rarely seen twice


def remember_word(cache, word, ids):
    """Keep a short word's token ids in `cache` (emptied when it is full)."""
    if len(word) <= CACHED_WORD:
        if len(cache) >= WORD_CACHE:
            cache.clear()
        cache[word] = ids


@dataclass
class Layer:
    """One encoder layer's float32 weights, matrices as (outputs, inputs)."""

    qkv_w: np.ndarray   # query, key and value rows stacked, the query's already scaled by 1/sqrt(head size)
    qkv_b: np.ndarray
    ao_w: np.ndarray    # attention output
    ao_b: np.ndarray
    aln_w: np.ndarray   # layer norm after attention
    aln_b: np.ndarray
    fi_w: np.ndarray    # feed-forward in
    fi_b: np.ndarray
    fo_w: np.ndarray    # feed-forward out
    fo_b: np.ndarray
    oln_w: np.ndarray   # layer norm after the feed-forward
    oln_b: np.ndarray


def attention_in(weights, biases, heads):
    """(qkv_w, qkv_b) of a Layer from the query, key and value projections (in that order):
    stacked, with 1/sqrt(head size) folded into the query's rows and bias."""
    hidden = weights[0].shape[0]
    scale = 1.0 / np.sqrt(hidden // heads)
    qkv_w = np.concatenate(weights)
    qkv_w *= np.repeat(np.array([scale, 1.0, 1.0], np.float32), hidden)[:, None]
    return qkv_w, np.concatenate([biases[0] * scale, biases[1], biases[2]])


def quantize_rows(w):
    """Each row rounded to whole numbers in [-127, 127] with its own scale: (values, scales)."""
    step = np.maximum(np.abs(w).max(axis=1), 1e-12) / 127.0
    return np.clip(np.rint(w / step[:, None]), -127, 127), step


def ends_first(first, last, content):
    """(token ids, positions) of one run: the two special tokens, then the words. Attention and
    mean pooling do not depend on the order of rows, and the graph rounds rows 0-1 apart."""
    ids = np.array([first, last, *content])
    positions = np.array([0, len(content) + 1, *range(1, len(content) + 1)])
    return ids, positions


def bert_graph(name, hidden, heads, eps, embedding_norm, layers):
    """Serialized ONNX model: "embeddings" (tokens × hidden, special tokens in rows 0-1) → the mean
    of the last layer's rows (hidden). `embedding_norm`: (weight, bias); `layers`: Layer objects
    (an iterable, so a caller may produce them one at a time)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []

    def const(const_name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), const_name))
        return const_name

    def node(op, inputs, output, **attrs):
        domain = "com.microsoft" if op in ("DynamicQuantizeMatMul", "Gelu") else ""
        nodes.append(helper.make_node(op, inputs, [output], domain=domain, **attrs))
        return output

    # One text (or window) per run, tokens × hidden: nothing padded, and a text's vector does not
    # depend on what else is encoded with it.
    zero, two = const("zero", np.array([0], np.int64)), const("two", np.array([2], np.int64))
    end = const("end", np.array([np.iinfo(np.int64).max], np.int64))

    def linear(x, prefix, w, bias):
        """x @ w.T + bias with u8 weights (one scale per output)."""
        values, step = quantize_rows(w)
        q = (values + 128).astype(np.uint8)
        args = [const(prefix + ".w", q.T), const(prefix + ".s", step.astype(np.float32)),
                const(prefix + ".z", np.full(len(step), 128, np.uint8)), const(prefix + ".b", bias.astype(np.float32))]
        # Activations are rounded to 8 bits with one scale per input. The special tokens (rows 0
        # and 1) carry values ten times the words' in e5, so they get their own: rounded together,
        # the words kept a tenth of the resolution and topic mining placed 3 points fewer tickets.
        ends = node("DynamicQuantizeMatMul", [node("Slice", [x, zero, two, zero], prefix + ".x_ends"), *args],
                    prefix + ".y_ends")
        words = node("DynamicQuantizeMatMul", [node("Slice", [x, two, end, zero], prefix + ".x_words"), *args],
                     prefix + ".y_words")
        return node("Concat", [ends, words], prefix + ".y", axis=0)

    head_dim = hidden // heads
    shape_heads = const("shape_heads", np.array([0, heads, head_dim], np.int64))
    shape_flat = const("shape_flat", np.array([0, hidden], np.int64))
    split = const("split", np.array([hidden, hidden, hidden], np.int64))
    x = node("LayerNormalization", ["embeddings", const("emb.ln.w", embedding_norm[0]),
                                    const("emb.ln.b", embedding_norm[1])], "x0", epsilon=eps, axis=-1)
    for i, layer in enumerate(layers):
        p = f"l{i}."
        qkv = linear(x, p + "qkv", layer.qkv_w, layer.qkv_b)
        nodes.append(helper.make_node("Split", [qkv, split], [p + "q", p + "k", p + "v"], axis=-1))
        q = node("Transpose", [node("Reshape", [p + "q", shape_heads], p + "q3")], p + "qt", perm=[1, 0, 2])
        k = node("Transpose", [node("Reshape", [p + "k", shape_heads], p + "k3")], p + "kt", perm=[1, 2, 0])
        v = node("Transpose", [node("Reshape", [p + "v", shape_heads], p + "v3")], p + "vt", perm=[1, 0, 2])
        probs = node("Softmax", [node("MatMul", [q, k], p + "scores")], p + "probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v], p + "ctx3")], p + "ctxt", perm=[1, 0, 2])
        ctx = node("Reshape", [ctx, shape_flat], p + "ctx")
        attn = linear(ctx, p + "ao", layer.ao_w, layer.ao_b)
        x = node("LayerNormalization", [node("Add", [x, attn], p + "res1"),
                                        const(p + "aln.w", layer.aln_w), const(p + "aln.b", layer.aln_b)],
                 p + "x1", epsilon=eps, axis=-1)
        mid = node("Gelu", [linear(x, p + "fi", layer.fi_w, layer.fi_b)], p + "gelu")
        out = linear(mid, p + "fo", layer.fo_w, layer.fo_b)
        x = node("LayerNormalization", [node("Add", [x, out], p + "res2"),
                                        const(p + "oln.w", layer.oln_w), const(p + "oln.b", layer.oln_b)],
                 p + "x2", epsilon=eps, axis=-1)
    pooled = node("ReduceMean", [x, const("axis0", np.array([0], np.int64))], "pooled", keepdims=0)
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["tokens", hidden])],
        [helper.make_tensor_value_info(pooled, TensorProto.FLOAT, [hidden])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    return model.SerializeToString()


class U8Encoder:
    """Base of the encoders: the ONNX Runtime session (built on first use, one core per run) and
    batches shared among threads. Subclasses set `H` and define `_graph()` (serialized model) and
    `_encode_one(session, text, **options)` (the text's pooled vector, not yet normalised)."""

    H = 0

    def __init__(self, threads=1):
        self.threads = max(1, int(threads))
        self._onnx = None
        self._lock = threading.Lock()

    def _graph(self):
        raise NotImplementedError

    def _encode_one(self, session, text, **options):
        raise NotImplementedError

    def _session(self):
        if self._onnx is None:
            with self._lock:
                if self._onnx is None:
                    import onnxruntime as ort

                    options = ort.SessionOptions()
                    options.intra_op_num_threads = 1
                    options.inter_op_num_threads = 1
                    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                    self._onnx = ort.InferenceSession(self._graph(), options, providers=["CPUExecutionProvider"])
        return self._onnx

    def _encode_all(self, texts, threads, **options):
        """One L2-normalised row per text. With `threads` > 1, texts are shared among that many
        threads, each running its own texts on one core (a short text gains little from splitting
        its matrices)."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        out = np.zeros((len(texts), self.H), np.float32)
        threads = min(threads or self.threads, len(texts))

        def run(rows):
            session = self._session()
            for i in rows:
                out[i] = self._encode_one(session, texts[i], **options)

        if threads <= 1:
            run(range(len(texts)))
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(lambda k: run(range(k, len(texts), threads)), range(threads)))
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
