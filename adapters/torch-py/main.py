#!/usr/bin/env python3
"""npuval's PyTorch reference adapter: a `proc:` device (devices/PROTOCOL.md, version 1) in Python.

    npuval bench --device 'proc:python3 adapters/torch-py/main.py' --model tiny-bert --scenario single-stream
    proc:python3 adapters/torch-py/main.py --device cpu      # force the CPU (or NPUVAL_TORCH_DEVICE=cpu)
    proc:python3 adapters/torch-py/main.py --device cuda:1  # another GPU

Needs Python 3, `torch` (1.13 or later, CPU or CUDA) and `onnx`. It serves the npuval zoo's families
(llama decoders with a KV cache, bert encoders, resnet classifiers): `load` reads the ONNX file's
`npuval.model` metadata (family and config) and its Hugging Face-named initializers and rebuilds the
network as PyTorch code; the graph's nodes are never interpreted, so this is an independent second
implementation. Other graphs run only when every node is one of a few elementwise ops (what
`npuval adapter-check` sends); anything else is refused with an `unsupported-*` code, which npuval's
conformance counts as unsupported, with this adapter's reason.

A VENDOR TEMPLATE: the lines marked `# VENDOR:` are where an SDK's device query, compile/load and run
calls replace PyTorch. Everything in sections 1 and 6 (frames, threads, errors) stays as it is.
stdout carries frames only; logs go to stderr.
"""
import argparse
import importlib.util
import json
import os
import queue
import signal
import struct
import sys
import threading
import time

# ── 1. the wire: frames on a private copy of stdout ──────────────────────────────────────────────
# fd 1 then points at stderr, so a runtime that prints banners cannot break the stream.
WIRE = os.fdopen(os.dup(1), "wb", buffering=0)
os.dup2(2, 1)
sys.stdout = sys.stderr
STDIN = sys.stdin.buffer

ADAPTER = {"name": "npuval-torch-py", "version": "0.1.0"}
VERSIONS = [1]
ALIGN = 64
MAX_HEADER = 16 << 20
MAX_PAYLOAD = (1 << 53) - 1
MAX_ID = 1 << 53
WRITE_LOCK = threading.Lock()

# Every element type of the protocol; SIZE holds those this adapter carries (torch has a tensor type for them).
PROTOCOL_DTYPES = {
    "float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64", "bool", "string", "int4", "uint4", "float8e4m3fn", "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz",
}
SIZE = {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2, "int8": 1, "int16": 2, "int32": 4, "int64": 8,
        "uint8": 1, "bool": 1}
# ONNX TensorProto.DataType numbers → protocol names (numbers, so an older onnx package reads newer files).
ONNX_DTYPE = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
              9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 16: "bfloat16",
              17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4"}


class Refusal(Exception):
    """A request refused with a protocol error code (devices/PROTOCOL.md, "Errors")."""

    def __init__(self, code, message, detail=None):
        super().__init__(message)
        self.code = code
        self.detail = detail


class OutOfStep(Exception):
    """Wrong magic or an oversized prefix: the stream cannot be read on."""


def read_exact(n):
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = STDIN.readinto(view[got:])
        if not k:
            raise EOFError
        got += k
    return buf


def read_frame():
    """(header dict or None when it is not a JSON object, payload memoryview)."""
    magic, hlen, plen = struct.unpack("<4sIQ", read_exact(16))
    if magic != b"NPUV":
        raise OutOfStep(f"wrong magic {bytes(magic)!r}, expected b'NPUV'")
    if hlen > MAX_HEADER or plen > MAX_PAYLOAD:
        raise OutOfStep(f"header length {hlen} or payload length {plen} is over the limit")
    header = read_exact(hlen)
    payload = memoryview(read_exact(plen))
    try:
        h = json.loads(header.decode("utf-8"))
    except ValueError:
        h = None
    return (h if isinstance(h, dict) else None), payload


def write_all(data):
    view = memoryview(data).cast("B")
    while len(view):
        n = WIRE.write(view)
        view = view[n:]


def write_frame(header, parts=()):
    """parts: bytes-like objects, laid out at 64-byte offsets in order (as descriptors() numbers them)."""
    chunks, size = [], 0
    for p in parts:
        pad = -size % ALIGN
        if pad:
            chunks.append(bytes(pad))
        chunks.append(p)
        size += pad + memoryview(p).nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    with WRITE_LOCK:
        write_all(struct.pack("<4sIQ", b"NPUV", len(h), size) + h)
        for c in chunks:
            write_all(c)


def error_frame(rid, code, message, detail=None, fatal=False):
    h = {"type": "error", "id": rid, "code": code, "message": message}
    if detail:
        h["detail"] = detail
    if fatal:
        h["fatal"] = True
    write_frame(h)


# ── 2. importing the runtime ─────────────────────────────────────────────────────────────────────
# VENDOR: import your SDK here instead of (or next to) torch; onnx reads the model file.
try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    if importlib.util.find_spec("onnx") is None:  # imported at the first load: it adds ~0.4 s to every start
        raise ImportError(name="onnx")
except ImportError as e:  # said on stderr, which npuval puts into its error message
    sys.stderr.write(f"torch-py adapter: cannot import {e.name}: install PyTorch and onnx "
                     "(Debian: apt-get install python3-torch python3-onnx; elsewhere: pip install torch onnx)\n")
    sys.exit(3)

TORCH_DTYPE = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
               "bfloat16": torch.bfloat16, "int8": torch.int8, "int16": torch.int16, "int32": torch.int32,
               "int64": torch.int64, "uint8": torch.uint8, "bool": torch.bool}
DTYPE_NAME = {v: k for k, v in TORCH_DTYPE.items()}


def tensor_from(name, desc, payload):
    """A payload tensor descriptor as a CPU torch tensor viewing the payload (no copy)."""
    if desc is None or (isinstance(desc, dict) and "sequence" in desc):
        raise Refusal("binding-limit", f"input {name!r} is not a tensor; this adapter feeds tensors only")
    if not isinstance(desc, dict):
        raise Refusal("bad-frame", f"input {name!r} is {desc!r}, not a tensor descriptor")
    dtype, shape, off, n = desc.get("dtype"), desc.get("shape"), desc.get("offset"), desc.get("nbytes")
    if dtype not in PROTOCOL_DTYPES:
        raise Refusal("bad-frame", f"input {name!r} has dtype {dtype!r}, not a protocol element type")
    if dtype not in SIZE:
        raise Refusal("unsupported-dtype", f"input {name!r} is {dtype}, which PyTorch has no tensor type for here")
    if not (isinstance(shape, list) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
        raise Refusal("bad-frame", f"input {name!r} has shape {shape!r}, not a list of non-negative integers")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (off, n)):
        raise Refusal("bad-frame", f"input {name!r} has offset {off!r} and nbytes {n!r}, not non-negative integers")
    count = 1
    for d in shape:
        count *= d
    if n != count * SIZE[dtype]:
        raise Refusal("bad-frame", f"input {name!r}: nbytes {n} disagrees with {dtype}{shape} ({count * SIZE[dtype]} bytes)")
    if off % ALIGN or off + n > len(payload):
        raise Refusal("bad-frame", f"input {name!r} lies outside the payload or off the 64-byte alignment "
                                   f"(offset {off}, nbytes {n}, payload {len(payload)} bytes)")
    if count == 0:
        return torch.empty(shape, dtype=TORCH_DTYPE[dtype])
    return torch.frombuffer(payload, dtype=TORCH_DTYPE[dtype], count=count, offset=off).reshape(shape)


def host_bytes(t):
    """A tensor's elements as a bytes-like object on the host (row-major, little-endian), kept alive by the caller."""
    t = t.detach().to("cpu").contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: the same bits as int16
        t = t.view(torch.int16)
    return t.numpy().reshape(-1).view(np.uint8)


def descriptors(outputs):
    """name → torch tensor: (header descriptors, payload parts) at the offsets write_frame lays out."""
    desc, parts, size = {}, [], 0
    for name, t in outputs.items():
        data = host_bytes(t)
        size += -size % ALIGN
        desc[name] = {"dtype": DTYPE_NAME[t.dtype], "shape": list(t.shape), "offset": size, "nbytes": int(data.nbytes)}
        parts.append(data)
        size += data.nbytes
    return desc, parts


# ── 3. the device (hello) ────────────────────────────────────────────────────────────────────────
def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def cpu_description(device):
    info = read_text("/proc/cpuinfo")
    field = lambda key: next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith(key)), None)
    vendor = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}.get(field("vendor_id"), field("vendor_id"))
    mem = next((int(l.split()[1]) * 1024 for l in read_text("/proc/meminfo").splitlines() if l.startswith("MemTotal:")), None)
    return {"vendor": vendor, "model": field("model name"), "driver": None, "memory_bytes": mem,
            "runtime": {"name": "PyTorch", "version": torch.__version__}, "backend": "cpu",
            "notes": [f"PyTorch on the CPU with {torch.get_num_threads()} intra-op threads; memory_bytes is host memory"]}


def cuda_description(device):
    props = torch.cuda.get_device_properties(device)
    # The kernel module's version line: "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  ..."
    nvrm = read_text("/proc/driver/nvidia/version").split("Kernel Module", 1)
    driver = {"name": "nvidia", "version": nvrm[1].split()[0]} if len(nvrm) == 2 and nvrm[1].split() else None
    return {"vendor": "NVIDIA" if torch.version.hip is None else "AMD", "model": props.name, "driver": driver,
            "memory_bytes": int(props.total_memory),
            "runtime": {"name": "PyTorch", "version": f"{torch.__version__} (CUDA {torch.version.cuda})"
                        if torch.version.cuda else f"{torch.__version__} (HIP {torch.version.hip})"},
            "backend": str(device),
            "notes": [f"compute capability {props.major}.{props.minor}, {props.multi_processor_count} SMs",
                      f"cuDNN {torch.backends.cudnn.version()}"]}


def describe(device):
    # VENDOR: query your SDK for the card: vendor, model, driver and runtime versions, memory, catalog_id.
    return cuda_description(device) if device.type == "cuda" else cpu_description(device)


# ── 4. loading a model (compile) ─────────────────────────────────────────────────────────────────
ZOO_KEY = "npuval.model"
MAX_IR_VERSION = 11  # ONNX 1.18's; the zoo and adapter-check write 8
MAX_OPSET = 23  # the elementwise ops below mean the same in every opset up to this one
ELEMENTWISE = {"Identity": 1, "Add": 2, "Sub": 2, "Mul": 2, "Neg": 1, "Relu": 1}
FP32_LOWEST = -3.4028234663852886e38


def value_info(v, free_dims):
    tt = v.type.tensor_type if v.type.HasField("tensor_type") else None
    if tt is None:
        return {"name": v.name, "kind": "other"}
    out = {"name": v.name, "kind": "tensor", "dtype": ONNX_DTYPE.get(tt.elem_type)}
    if out["dtype"] is None:
        raise Refusal("unsupported-dtype", f"{v.name!r} has ONNX element type {tt.elem_type}, which this adapter does not know")
    if tt.HasField("shape"):
        out["shape"] = [d.dim_value if d.HasField("dim_value") else
                        free_dims.get(d.dim_param, d.dim_param) if d.HasField("dim_param") else None
                        for d in tt.shape.dim]
    return out


def initializer(proto):
    """An initializer as a CPU torch tensor (float16/float64 kept as stored; the caller casts)."""
    import onnx.numpy_helper

    arr = onnx.numpy_helper.to_array(proto)
    if not arr.flags.writeable:
        arr = arr.copy()
    return torch.from_numpy(arr)


class Config:
    """Numbers from the metadata config, naming the field when one is missing."""

    def __init__(self, config, label):
        self.config, self.label = config, label

    def num(self, key, fallback=None):
        v = self.config.get(key, fallback)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise Refusal("invalid-input", f"{self.label}: metadata {ZOO_KEY!r} config.{key} must be a number (got {v!r})")
        return v


class Weights:
    """Initializers by their Hugging Face / torchvision names, moved to the device as they are read."""

    def __init__(self, tensors, label, device, dtype):
        self.tensors, self.label, self.device, self.dtype = tensors, label, device, dtype

    def has(self, name):
        return name in self.tensors

    def get(self, name, shape=None):
        t = self.tensors.get(name)
        if t is None:
            raise Refusal("invalid-input", f"{self.label} has no initializer named {name!r}")
        if shape is not None and list(t.shape) != list(shape):
            raise Refusal("invalid-input", f"initializer {name!r} has shape {list(t.shape)}, "
                                           f"expected {list(shape)} from the model's config")
        return t.to(self.device, self.dtype)


class Loaded:
    """A loaded model: its I/O as the load reply states it, and run(feeds) → outputs (torch tensors)."""

    def __init__(self, inputs, outputs, runner, decoder=None):
        self.inputs, self.outputs, self.runner, self.decoder = inputs, outputs, runner, decoder

    def check_feeds(self, feeds):
        declared = {i["name"]: i for i in self.inputs}
        for name in feeds:
            if name not in declared:
                raise Refusal("invalid-input", f"{name!r} is not an input of the model (inputs: {', '.join(declared)})")
        for name, info in declared.items():
            t = feeds.get(name)
            if t is None:
                raise Refusal("invalid-input", f"input {name!r} is missing from the feeds")
            if info.get("dtype") and DTYPE_NAME[t.dtype] != info["dtype"]:
                raise Refusal("invalid-input", f"input {name!r} is {DTYPE_NAME[t.dtype]}, the model declares {info['dtype']}")
            shape = info.get("shape")
            if shape is not None and (len(shape) != t.dim() or any(
                    isinstance(d, int) and d != got for d, got in zip(shape, t.shape))):
                raise Refusal("invalid-input", f"input {name!r} has shape {list(t.shape)}, the model declares {shape}")


def load_model(path, free_dims, device):
    """Reads an ONNX file and builds what runs it. Refusals carry the code npuval classifies by."""
    # VENDOR: this is where your SDK compiles or loads the model, e.g. `compiled = sdk.compile(path, ...)`;
    # keep the I/O description (value_info) and the refusals, so npuval sees the same names, types and codes.
    import onnx

    try:
        model = onnx.load(path)
    except Exception as e:  # protobuf's DecodeError, a missing external data file, …
        raise Refusal("model-not-found", f"cannot read {path} as an ONNX model: {type(e).__name__}: {e}")
    label = os.path.basename(path)
    if model.ir_version > MAX_IR_VERSION:
        raise Refusal("unsupported-ir-version", f"{label} has IR version {model.ir_version}; "
                                                f"the PyTorch reference adapter reads IR versions up to {MAX_IR_VERSION}")
    graph = model.graph
    init_names = {i.name for i in graph.initializer}
    inputs = [value_info(v, free_dims) for v in graph.input if v.name not in init_names]
    outputs = [value_info(v, free_dims) for v in graph.output]
    meta = next((p.value for p in model.metadata_props if p.key == ZOO_KEY), None)
    if meta is None:
        return elementwise_model(model, label, inputs, outputs, device)
    try:
        zoo = json.loads(meta)
        family, config = zoo["family"], zoo["config"]
        assert isinstance(config, dict)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise Refusal("invalid-input", f"{label}: metadata {ZOO_KEY!r} must be JSON {{\"family\", \"config\": {{...}}}}")
    build = FAMILIES.get(family)
    if build is None:
        raise Refusal("unsupported-feature", f"{label} is a {family!r} model; the PyTorch reference adapter builds "
                                             f"{', '.join(FAMILIES)} from {ZOO_KEY!r} metadata")
    tensors = {i.name: initializer(i) for i in graph.initializer}
    del model, graph  # the protobuf's copy of the weights
    cfg = Config(config, label)
    return build(cfg, tensors, label, inputs, outputs, device)


def elementwise_model(model, label, inputs, outputs, device):
    """Graphs without zoo metadata: only chains of a few elementwise ops (adapter-check's probes)."""
    graph = model.graph
    ops = sorted({n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}" for n in graph.node
                  if n.domain not in ("", "ai.onnx") or n.op_type not in ELEMENTWISE})
    if ops or not graph.node:
        raise Refusal("unsupported-op",
                      f"{label} has no {ZOO_KEY!r} metadata: the PyTorch reference adapter runs npuval zoo models "
                      f"({', '.join(FAMILIES)}) and graphs of {'/'.join(ELEMENTWISE)} nodes only"
                      + (f"; this graph uses {', '.join(ops)}" if ops else "; this graph has no nodes"),
                      {"runtime": "the npuval PyTorch reference adapter"})
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset > MAX_OPSET:
        raise Refusal("unsupported-opset", f"{label} imports opset {opset}; this adapter's elementwise ops "
                                           f"are checked up to opset {MAX_OPSET}")
    with_attrs = sorted({n.op_type for n in graph.node if len(n.attribute)})
    if with_attrs:
        raise Refusal("unsupported-feature", f"{label}: {', '.join(with_attrs)} nodes with attributes are not implemented")
    for v in inputs + outputs:
        if v["kind"] != "tensor":
            raise Refusal("binding-limit", f"{label}: {v['name']!r} is not a tensor; this adapter carries tensors only")
        if v["dtype"] not in SIZE:
            raise Refusal("unsupported-dtype", f"{label}: {v['name']!r} is {v['dtype']}, which PyTorch has no tensor type for here")
    consts = {}
    for i in graph.initializer:
        if ONNX_DTYPE.get(i.data_type) not in SIZE:
            raise Refusal("unsupported-dtype", f"{label}: initializer {i.name!r} is {ONNX_DTYPE.get(i.data_type)}")
        consts[i.name] = initializer(i).to(device)
    nodes = [(n.op_type, list(n.input), list(n.output)) for n in graph.node]
    out_names = [o["name"] for o in outputs]
    fns = {"Identity": lambda x: x, "Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Neg": torch.neg,
           "Relu": torch.relu}

    def run(feeds):
        # VENDOR: your SDK's run call goes here (feeds are device tensors; return name → tensor).
        values = dict(consts)
        values.update(feeds)
        for op, ins, outs in nodes:
            if len(ins) != ELEMENTWISE[op]:
                raise Refusal("invalid-input", f"{label}: a {op} node has {len(ins)} inputs, expected {ELEMENTWISE[op]}")
            values[outs[0]] = fns[op](*(values[i] for i in ins))
        return {name: values[name] for name in out_names}

    return Loaded(inputs, outputs, run)


def llama_model(cfg, tensors, label, inputs, outputs, device):
    H = int(cfg.num("num_attention_heads"))
    D = int(cfg.num("hidden_size"))
    c = {"V": int(cfg.num("vocab_size")), "D": D, "I": int(cfg.num("intermediate_size")),
         "L": int(cfg.num("num_hidden_layers")), "H": H, "KV": int(cfg.num("num_key_value_heads", H)),
         "d": int(cfg.num("head_dim", D // H)), "eps": float(cfg.num("rms_norm_eps")), "theta": float(cfg.num("rope_theta")),
         "tied": cfg.config.get("tie_word_embeddings") is True}
    if c["H"] % c["KV"]:
        raise Refusal("invalid-input", f"{label}: num_attention_heads {H} is not a multiple of num_key_value_heads {c['KV']}")
    io_dtype = TORCH_DTYPE["float16" if cfg.config.get("dtype") == "float16" else "float32"]
    # The CPU kernels of torch 1.13 lack float16 matmul: compute in float32 there, in the model's type on a GPU.
    compute = io_dtype if device.type == "cuda" else torch.float32
    w = Weights(tensors, label, device, compute)
    Vs, Dm, I, KV, d = c["V"], c["D"], c["I"], c["KV"], c["d"]
    p = {"embed": w.get("model.embed_tokens.weight", [Vs, Dm]), "norm": w.get("model.norm.weight", [Dm]), "layers": []}
    p["head"] = p["embed"] if c["tied"] else w.get("lm_head.weight", [Vs, Dm])
    for i in range(c["L"]):
        n = f"model.layers.{i}."
        p["layers"].append({
            "in_norm": w.get(n + "input_layernorm.weight", [Dm]), "post_norm": w.get(n + "post_attention_layernorm.weight", [Dm]),
            "q": w.get(n + "self_attn.q_proj.weight", [H * d, Dm]), "k": w.get(n + "self_attn.k_proj.weight", [KV * d, Dm]),
            "v": w.get(n + "self_attn.v_proj.weight", [KV * d, Dm]), "o": w.get(n + "self_attn.o_proj.weight", [Dm, H * d]),
            "gate": w.get(n + "mlp.gate_proj.weight", [I, Dm]), "up": w.get(n + "mlp.up_proj.weight", [I, Dm]),
            "down": w.get(n + "mlp.down_proj.weight", [Dm, I])})
    tensors.clear()
    # inv_freq as HF computes it (in double, stored as float32).
    inv_freq = torch.tensor([1 / c["theta"] ** (2 * j / d) for j in range(d // 2)], dtype=torch.float32, device=device)
    has_positions = any(i["name"] == "position_ids" for i in inputs)
    L = c["L"]

    def forward(ids, mask, positions, past):
        """ids [b, s], mask [b, past + s], positions [b, s], past: L × (k, v) [b, KV, past, d] → logits, presents."""
        return llama_forward(c, p, inv_freq, compute, ids, mask, positions, past)

    def run(feeds):
        ids, mask = feeds["input_ids"], feeds["attention_mask"]
        b, s = ids.shape
        total = mask.shape[1] if mask.dim() == 2 else -1
        P = total - s
        if mask.dim() != 2 or mask.shape[0] != b or P < 0:
            raise Refusal("invalid-input", f"attention_mask has shape {list(mask.shape)}, expected [{b}, past + {s}]")
        positions = feeds.get("position_ids") if has_positions else None
        if positions is None:
            positions = P + torch.arange(s, device=ids.device).expand(b, s)
        elif list(positions.shape) != [b, s]:
            raise Refusal("invalid-input", f"position_ids has shape {list(positions.shape)}, expected {[b, s]}")
        past = []
        for i in range(L):
            kv = []
            for kind in ("key", "value"):
                t = feeds[f"past_key_values.{i}.{kind}"]
                if list(t.shape) != [b, KV, P, d]:
                    raise Refusal("invalid-input", f"past_key_values.{i}.{kind} has shape {list(t.shape)}, expected {[b, KV, P, d]}")
                kv.append(t.to(compute))
            past.append(tuple(kv))
        check_ids(ids, Vs)
        logits, presents = forward(ids, mask, positions, past)
        out = {"logits": logits.to(io_dtype)}
        for i, (k, v) in enumerate(presents):
            out[f"present.{i}.key"] = k.to(io_dtype)
            out[f"present.{i}.value"] = v.to(io_dtype)
        return out

    decoder = {"forward": forward, "layers": L, "kv_heads": KV, "head_dim": d, "dtype": compute, "vocab": Vs}
    return Loaded(inputs, outputs, run, decoder)


def check_ids(ids, vocab):
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab):
        raise Refusal("invalid-input", f"input_ids holds a token outside the vocabulary [0, {vocab})")


def rms_norm(x, weight, eps, dtype):
    x = x.float()
    y = x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)
    return y.to(dtype) * weight


def rotate(x, cos, sin):
    half = x.shape[-1] // 2
    return x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin


def llama_forward(c, p, inv_freq, dt, ids, mask, positions, past):
    """Hugging Face LlamaForCausalLM with a KV cache: RMSNorm, RoPE, grouped-query attention, SwiGLU."""
    b, s = ids.shape
    T = mask.shape[1]
    P = T - s
    H, KV, d = c["H"], c["KV"], c["d"]
    group = H // KV
    h = F.embedding(ids, p["embed"])  # [b, s, D]
    freqs = positions.float().unsqueeze(-1) * inv_freq  # [b, s, d/2]
    emb = torch.cat([freqs, freqs], -1).unsqueeze(1)  # [b, 1, s, d]
    cos, sin = emb.cos().to(dt), emb.sin().to(dt)
    keys = torch.arange(T, device=ids.device).unsqueeze(0)
    queries = torch.arange(P, T, device=ids.device).unsqueeze(1)
    allowed = (keys <= queries).unsqueeze(0).unsqueeze(0) & mask.bool().unsqueeze(1).unsqueeze(1)  # [b, 1, s, T]
    scale = 1 / d ** 0.5
    presents = []
    for layer, (pk, pv) in zip(p["layers"], past):
        x = rms_norm(h, layer["in_norm"], c["eps"], dt)
        q = rotate((x @ layer["q"].t()).view(b, s, H, d).transpose(1, 2), cos, sin)
        k = rotate((x @ layer["k"].t()).view(b, s, KV, d).transpose(1, 2), cos, sin)
        v = (x @ layer["v"].t()).view(b, s, KV, d).transpose(1, 2)
        k, v = torch.cat([pk, k], 2), torch.cat([pv, v], 2)
        presents.append((k, v))
        # Query head j uses KV head j // group: the group's queries stacked along the sequence axis.
        scores = (q.reshape(b, KV, group * s, d) @ k.transpose(-1, -2)) * scale
        scores = scores.reshape(b, H, s, T).float().masked_fill(~allowed, FP32_LOWEST)
        probs = torch.softmax(scores, -1).to(dt)
        ctx = (probs.reshape(b, KV, group * s, T) @ v).reshape(b, H, s, d)
        h = h + ctx.transpose(1, 2).reshape(b, s, H * d) @ layer["o"].t()
        y = rms_norm(h, layer["post_norm"], c["eps"], dt)
        gate = y @ layer["gate"].t()
        h = h + (gate * torch.sigmoid(gate) * (y @ layer["up"].t())) @ layer["down"].t()
    logits = rms_norm(h, p["norm"], c["eps"], dt) @ p["head"].t()
    return logits, presents


def bert_model(cfg, tensors, label, inputs, outputs, device):
    D, H = int(cfg.num("hidden_size")), int(cfg.num("num_attention_heads"))
    V, I, L = int(cfg.num("vocab_size")), int(cfg.num("intermediate_size")), int(cfg.num("num_hidden_layers"))
    maxpos, types, eps = int(cfg.num("max_position_embeddings")), int(cfg.num("type_vocab_size")), float(cfg.num("layer_norm_eps"))
    w = Weights(tensors, label, device, torch.float32)
    dense = lambda n, o, i: (w.get(n + ".weight", [o, i]), w.get(n + ".bias", [o]))
    norm = lambda n: (w.get(n + ".weight", [D]), w.get(n + ".bias", [D]))
    emb = {"word": w.get("embeddings.word_embeddings.weight", [V, D]), "pos": w.get("embeddings.position_embeddings.weight", [maxpos, D]),
           "type": w.get("embeddings.token_type_embeddings.weight", [types, D]), "norm": norm("embeddings.LayerNorm")}
    layers = []
    for i in range(L):
        n = f"encoder.layer.{i}."
        layers.append({"q": dense(n + "attention.self.query", D, D), "k": dense(n + "attention.self.key", D, D),
                       "v": dense(n + "attention.self.value", D, D), "o": dense(n + "attention.output.dense", D, D),
                       "norm1": norm(n + "attention.output.LayerNorm"), "inter": dense(n + "intermediate.dense", I, D),
                       "out": dense(n + "output.dense", D, I), "norm2": norm(n + "output.LayerNorm")})
    tensors.clear()
    out_name = outputs[0]["name"] if outputs else "last_hidden_state"
    d = D // H

    def run(feeds):
        """Hugging Face BertModel's encoder: post-LN, exact (erf) GELU, the (1 − mask) · lowest extended mask."""
        ids, mask = feeds["input_ids"], feeds["attention_mask"]
        b, s = ids.shape
        if s > maxpos:
            raise Refusal("invalid-input", f"sequence length {s} exceeds max_position_embeddings {maxpos}")
        check_ids(ids, V)
        tt = feeds.get("token_type_ids")
        tt = torch.zeros_like(ids) if tt is None else tt
        ln = lambda x, nw: F.layer_norm(x, (D,), nw[0], nw[1], eps)
        lin = lambda x, wb: x @ wb[0].t() + wb[1]
        heads = lambda x: x.view(b, s, H, d).transpose(1, 2)
        x = F.embedding(ids, emb["word"]) + F.embedding(tt, emb["type"]) + emb["pos"][:s]
        x = ln(x, emb["norm"])
        ext = ((1 - mask.float()) * FP32_LOWEST).view(b, 1, 1, s)
        for layer in layers:
            q, k, v = heads(lin(x, layer["q"])), heads(lin(x, layer["k"])), heads(lin(x, layer["v"]))
            ctx = torch.softmax((q @ k.transpose(-1, -2)) * (1 / d ** 0.5) + ext, -1) @ v
            attn = ln(lin(ctx.transpose(1, 2).reshape(b, s, D), layer["o"]) + x, layer["norm1"])
            inter = lin(attn, layer["inter"])
            gelu = inter * 0.5 * (1 + torch.erf(inter * 0.7071067811865476))
            x = ln(lin(gelu, layer["out"]) + attn, layer["norm2"])
        return {out_name: x}

    return Loaded(inputs, outputs, run)


def resnet_model(cfg, tensors, label, inputs, outputs, device):
    """torchvision resnet50 (v1.5: the stride on the 3×3 conv); the block layout is read from the weight names."""
    w = Weights(tensors, label, device, torch.float32)
    bn = lambda n: (w.get(n + ".running_mean"), w.get(n + ".running_var"), w.get(n + ".weight"), w.get(n + ".bias"))
    stem = (w.get("conv1.weight"), bn("bn1"))
    blocks = []
    stage = 1
    while w.has(f"layer{stage}.0.conv1.weight"):
        j = 0
        while w.has(f"layer{stage}.{j}.conv1.weight"):
            n = f"layer{stage}.{j}."
            stride = 2 if stage > 1 and j == 0 else 1
            down = (w.get(n + "downsample.0.weight"), bn(n + "downsample.1")) if w.has(n + "downsample.0.weight") else None
            blocks.append({"stride": stride, "c1": (w.get(n + "conv1.weight"), bn(n + "bn1")),
                           "c2": (w.get(n + "conv2.weight"), bn(n + "bn2")), "c3": (w.get(n + "conv3.weight"), bn(n + "bn3")),
                           "down": down})
            j += 1
        stage += 1
    if not blocks:
        raise Refusal("invalid-input", f"{label} has no 'layer1.0.conv1.weight' initializer, so it holds no ResNet blocks")
    fc = (w.get("fc.weight"), w.get("fc.bias"))
    tensors.clear()
    in_name = inputs[0]["name"] if inputs else "input"
    out_name = outputs[0]["name"] if outputs else "logits"

    def conv_bn(x, cb, stride=1):
        weight, (mean, var, scale, shift) = cb
        y = F.conv2d(x, weight, stride=stride, padding=weight.shape[-1] // 2)
        return F.batch_norm(y, mean, var, scale, shift, False, 0.0, 1e-5)

    def run(feeds):
        x = feeds[in_name]
        if x.dim() != 4 or x.shape[1] != 3:
            raise Refusal("invalid-input", f"input {in_name!r} has shape {list(x.shape)}, expected [batch, 3, H, W] (NCHW)")
        x = F.max_pool2d(torch.relu(conv_bn(x, stem, 2)), 3, 2, 1)
        for blk in blocks:
            y = torch.relu(conv_bn(x, blk["c1"]))
            y = torch.relu(conv_bn(y, blk["c2"], blk["stride"]))
            y = conv_bn(y, blk["c3"])
            x = torch.relu(y + (conv_bn(x, blk["down"], blk["stride"]) if blk["down"] else x))
        return {out_name: x.mean((2, 3)) @ fc[0].t() + fc[1]}

    return Loaded(inputs, outputs, run)


FAMILIES = {"llama": llama_model, "bert": bert_model, "resnet": resnet_model}


# ── 5. running and generating ────────────────────────────────────────────────────────────────────
def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_model(loaded, feeds, wanted, device):
    """feeds: name → CPU tensor viewing the payload. Returns (name → tensor, device microseconds)."""
    loaded.check_feeds(feeds)
    names = [o["name"] for o in loaded.outputs]
    for name in wanted:
        if name not in names:
            raise Refusal("invalid-input", f"{name!r} is not an output of the model (outputs: {', '.join(names)})")
    # VENDOR: copy the feeds into device buffers and call your SDK's run; time the device part.
    on_device = {k: v.to(device, non_blocking=True) for k, v in feeds.items()}
    synchronize(device)
    t0 = time.perf_counter()
    with torch.inference_mode():
        outs = loaded.runner(on_device)
    synchronize(device)
    device_us = (time.perf_counter() - t0) * 1e6
    return {name: outs[name] for name in wanted}, device_us


def generate(loaded, h, rid, device, cancelled):
    """Token generation on the adapter's side (PROTOCOL.md `generate`): prefill, then one decode step per token."""
    t0 = time.monotonic()
    dec = loaded.decoder
    if dec is None:
        raise Refusal("unsupported", "generate needs a decoder (a llama model); this handle is not one")
    prompt, max_tokens = h.get("prompt") or {}, h.get("max_tokens")
    tokens = prompt.get("tokens") if isinstance(prompt, dict) else None
    if isinstance(prompt, dict) and "text" in prompt and tokens is None:
        raise Refusal("unsupported-feature", "this adapter has no tokenizer: send prompt.tokens")
    if not (isinstance(tokens, list) and tokens and all(isinstance(t, int) and not isinstance(t, bool) for t in tokens)):
        raise Refusal("bad-request", "prompt.tokens must be a non-empty list of integers")
    if not (isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens >= 1):
        raise Refusal("bad-request", "max_tokens must be a positive integer")
    sampling = h.get("sampling") or {}
    temperature = float(sampling.get("temperature") or 0)
    gen = torch.Generator(device=device)
    gen.manual_seed(int(sampling.get("seed") or 0))
    # VENDOR: a vendor LLM engine replaces this loop with its own generate/stream call.
    with torch.inference_mode():
        ids = torch.tensor([tokens], dtype=torch.int64, device=device)
        check_ids(ids, dec["vocab"])
        empty = torch.zeros(1, dec["kv_heads"], 0, dec["head_dim"], dtype=dec["dtype"], device=device)
        past = [(empty, empty)] * dec["layers"]
        n, total, prefill_us, finish = 0, len(tokens), None, "length"
        positions = torch.arange(total, device=device).unsqueeze(0)
        while n < max_tokens:
            if rid in cancelled:
                finish = "cancelled"
                break
            mask = torch.ones(1, total, dtype=torch.int64, device=device)
            logits, past = dec["forward"](ids, mask, positions, past)
            last = logits[0, -1].float()
            if temperature > 0:
                token = int(torch.multinomial(torch.softmax(last / temperature, -1), 1, generator=gen))
            else:
                token = int(torch.argmax(last))  # the host has the token: its timestamp
            t_us = (time.monotonic() - t0) * 1e6
            prefill_us = t_us if prefill_us is None else prefill_us
            write_frame({"type": "token", "id": rid, "tokens": [token], "t_us": round(t_us, 1)})
            n += 1
            ids = torch.tensor([[token]], dtype=torch.int64, device=device)
            positions = torch.tensor([[total]], device=device)
            total += 1
    return {"finish_reason": finish, "usage": {"prompt_tokens": len(tokens), "completion_tokens": n},
            "timing": {"prefill_us": round(prefill_us or 0, 1), "device_us": round((time.monotonic() - t0) * 1e6, 1)}}


# ── 6. the protocol: a reader, one worker, heartbeats ────────────────────────────────────────────
class Server:
    """The main thread reads frames and answers hello/ping/cancel at once; load, run, generate, unload and
    bye go to one worker thread in order (the runtime runs one request at a time; replies carry ids)."""

    def __init__(self, device):
        self.device = device
        self.description = describe(device)
        self.models, self.next_handle = {}, 1
        self.greeted, self.beat = False, 0
        self.inflight, self.count_lock = 0, threading.Lock()
        self.cancelled = set()
        self.work = queue.Queue()
        self.closing = False

    def busy(self, delta):
        with self.count_lock:
            self.inflight += delta

    def heartbeats(self):
        while True:
            time.sleep(self.beat / 1000)
            if self.inflight:
                write_frame({"type": "heartbeat"})

    def hello(self, h):
        offered = h.get("versions") if isinstance(h.get("versions"), list) else []
        common = [v for v in VERSIONS if v in offered]
        if not common:
            raise Refusal("unsupported-version", f"this adapter speaks protocol version(s) {VERSIONS}, not {offered}",
                          None)
        asked = h.get("heartbeat_ms")
        asked = asked if isinstance(asked, int) and not isinstance(asked, bool) and asked > 0 else 0
        if asked and not self.beat:
            self.beat = max(asked, 100)
            threading.Thread(target=self.heartbeats, daemon=True).start()
        self.greeted = True
        return {"version": max(common), "adapter": ADAPTER, "device": self.description,
                "capabilities": {"dtypes": list(TORCH_DTYPE), "max_batch": None, "token_streaming": True, "device_timing": True,
                                 "heartbeat_ms": self.beat},
                "pid": os.getpid()}, ()

    def handle(self, h, payload):
        """One queued request → (reply fields, payload parts); raises Refusal."""
        kind = h["type"]
        if kind == "bye":
            return {}, ()
        if kind == "load":
            path = (h.get("model") or {}).get("path") if isinstance(h.get("model"), dict) else None
            if not isinstance(path, str):
                raise Refusal("bad-request", "load needs model.path, a string")
            if not os.path.isfile(path):
                raise Refusal("model-not-found", f"no model file at {path}")
            options = h.get("options") or {}
            if options:
                raise Refusal("invalid-option", f"the PyTorch reference adapter takes no load options "
                                                f"(got {', '.join(sorted(options)) if isinstance(options, dict) else options!r})")
            free_dims = h.get("free_dims") or {}
            if not (isinstance(free_dims, dict) and all(isinstance(v, int) and v >= 0 for v in free_dims.values())):
                raise Refusal("bad-request", "free_dims must map names to non-negative integers")
            loaded = load_model(path, free_dims, self.device)
            handle = f"m{self.next_handle}"
            self.next_handle += 1
            self.models[handle] = loaded
            return {"handle": handle, "inputs": loaded.inputs, "outputs": loaded.outputs}, ()
        loaded = self.models.get(h.get("handle"))
        if loaded is None:
            raise Refusal("unknown-handle", f"no model is loaded under handle {h.get('handle')!r}")
        if kind == "unload":
            del self.models[h["handle"]]
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            return {}, ()
        if kind == "run":
            inputs = h.get("inputs")
            if not isinstance(inputs, dict):
                raise Refusal("bad-request", "run needs inputs, an object of tensor descriptors")
            feeds = {name: tensor_from(name, d, payload) for name, d in inputs.items()}
            wanted = h.get("outputs")
            if wanted is None:
                wanted = [o["name"] for o in loaded.outputs]
            elif not (isinstance(wanted, list) and all(isinstance(n, str) for n in wanted)):
                raise Refusal("bad-request", "outputs must be a list of output names")
            outs, device_us = run_model(loaded, feeds, wanted, self.device)
            desc, parts = descriptors(outs)
            return {"outputs": desc, "timing": {"device_us": round(device_us, 1)}}, parts
        if kind == "generate":
            return generate(loaded, h, h["id"], self.device, self.cancelled), ()
        raise Refusal("unknown-type", f"unknown request type {kind!r}")

    def worker(self):
        while True:
            item = self.work.get()
            if item is None:
                return
            h, payload = item
            rid = h["id"]
            try:
                if self.closing and h["type"] != "bye":
                    raise Refusal("cancelled", "the adapter is shutting down")
                if rid in self.cancelled and h["type"] != "generate":  # a generate ends with ok, finish_reason cancelled
                    raise Refusal("cancelled", f"request {rid} was cancelled before it ran")
                reply, parts = self.handle(h, payload)
                write_frame({"type": "ok", "id": rid, **reply}, parts)
            except Refusal as e:
                error_frame(rid, e.code, str(e), e.detail)
            except Exception as e:  # the runtime failed: say so and keep serving
                code = "out-of-memory" if "out of memory" in str(e).lower() else "runtime"
                error_frame(rid, code, f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else e!r}")
            finally:
                self.cancelled.discard(rid)
                self.busy(-1)
            if h["type"] == "bye":
                os._exit(0)

    def serve(self):
        threading.Thread(target=self.worker, daemon=True).start()
        kind = None
        while True:
            try:
                h, payload = read_frame()
            except EOFError:
                break
            except OutOfStep as e:
                error_frame(None, "bad-frame", f"the stream is out of step: {e}", fatal=True)
                return 2
            if h is None:
                error_frame(None, "bad-frame", "the frame's header is not a JSON object")
                continue
            rid = h.get("id")
            if not (isinstance(rid, int) and not isinstance(rid, bool) and 0 <= rid < MAX_ID):
                error_frame(None, "bad-request", f"the request has no integer id (id {rid!r})")
                continue
            kind = h.get("type")
            try:
                if kind == "hello":
                    reply, _ = self.hello(h)
                    write_frame({"type": "ok", "id": rid, **reply})
                elif not self.greeted:
                    raise Refusal("bad-request", "the first request must be hello")
                elif kind == "ping":
                    write_frame({"type": "ok", "id": rid})
                elif kind == "cancel":
                    target = h.get("target")
                    if isinstance(target, int):
                        self.cancelled.add(target)
                    write_frame({"type": "ok", "id": rid})
                elif kind in ("load", "run", "generate", "unload", "bye"):
                    self.busy(+1)
                    self.work.put((h, payload))
                    if kind == "bye":
                        break
                else:
                    raise Refusal("unknown-type", f"unknown request type {kind!r}")
            except Refusal as e:
                h2 = {"versions": VERSIONS} if e.code == "unsupported-version" else {}
                write_frame({"type": "error", "id": rid, "code": e.code, "message": str(e), **h2})
        # End of stdin (npuval exited) or bye: bye is answered by the worker after the requests before it.
        if kind != "bye":
            self.closing = True
        self.work.put(None)
        deadline = time.monotonic() + 4
        while self.inflight and time.monotonic() < deadline:
            time.sleep(0.01)
        return 0


def pick_device(asked):
    """--device, else $NPUVAL_TORCH_DEVICE, else the first CUDA GPU when PyTorch sees one, else the CPU."""
    name = asked or os.environ.get("NPUVAL_TORCH_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise SystemExit(f"torch-py adapter: --device {name!r} is not a PyTorch device (cpu, cuda, cuda:N)")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit(f"torch-py adapter: --device {name} asked for, but PyTorch sees no CUDA device")
        device = torch.device("cuda", device.index if device.index is not None else torch.cuda.current_device())
        if device.index >= torch.cuda.device_count():
            raise SystemExit(f"torch-py adapter: {device} does not exist ({torch.cuda.device_count()} CUDA devices)")
        # A reference computes in fp32: no TF32 in cuDNN convolutions or matmuls (PyTorch allows it for convolutions).
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    elif device.type != "cpu":
        raise SystemExit(f"torch-py adapter: device type {device.type!r} is not served (cpu, cuda, cuda:N)")
    return device


def main(argv):
    parser = argparse.ArgumentParser(prog="adapters/torch-py/main.py",
                                     description="npuval proc: adapter over PyTorch (devices/PROTOCOL.md on stdin/stdout)")
    parser.add_argument("--device", help="cpu, cuda or cuda:N (default: $NPUVAL_TORCH_DEVICE, else cuda when available, else cpu)")
    parser.add_argument("--threads", type=int, help="PyTorch intra-op threads (default: PyTorch's own)")
    args = parser.parse_args(argv)  # usage errors go to stderr (stdout is the wire), exit 2
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    # npuval sends SIGTERM to the group as it exits: leave as at the end of stdin.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    sys.stderr.write(f"torch-py adapter: PyTorch {torch.__version__} on {device}, pid {os.getpid()}\n")
    return Server(device).serve()


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    os._exit(code)
