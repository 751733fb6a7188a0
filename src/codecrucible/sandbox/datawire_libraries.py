"""The scientific libraries' values on the wire (scipy, torch, TensorFlow): one encoder per
library (``encode_<module>``, sender's side) and one decoder per tag (``decode_<tag>``,
checker's side), called by ``datawire``'s encoder and decoder with themselves as ``enc`` or
``dec``. A decoder builds only from checked parts, through a fixed set of constructors.
"""

from __future__ import annotations

import importlib
import sys

from codecrucible.sandbox.datawire_errors import Malformed, Unserializable

_SPARSE = ("csr", "csc", "coo", "lil", "dok", "bsr", "dia")
# Where a scipy.stats result type may come from, and the torch optimizers a result may be.
_STATS_MODULES = ("scipy.stats._stats_py", "scipy.stats._morestats", "scipy.stats._mstats_basic",
                  "scipy.stats._stats_mstats_common", "scipy.stats._hypotests")
_OPTIMIZERS = ("SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "RMSprop", "Rprop",
               "ASGD", "NAdam", "RAdam")
_TF_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
              "float16", "float32", "float64", "complex64", "complex128", "string", "bfloat16")
_LIBRARIES = ("scipy.sparse", "torch", "tensorflow")


# ------------------------------------------------------------------ encoding (sender's side)
def encode_scipy(enc, value, kind, depth):
    if kind.__module__ in _STATS_MODULES and kind.__mro__[1:] == (tuple, object) \
            and hasattr(kind, "_fields"):
        extra = getattr(kind, "_extra_fields", ())
        return {"sb": {"module": kind.__module__, "kind": kind.__name__,
                       "items": [enc.encode(v, depth) for v in tuple.__iter__(value)],
                       "extra": [enc.encode(getattr(value, f), depth) for f in extra]}}
    sparse = sys.modules.get("scipy.sparse")
    if sparse is None or kind.__module__.split(".")[:2] != ["scipy", "sparse"]:
        return None
    name = kind.__name__
    fmt = name.split("_")[0]
    if fmt not in _SPARSE or name not in (f"{fmt}_matrix", f"{fmt}_array") \
            or getattr(sparse, name, None) is not kind:
        return None
    coo = value.tocoo() if fmt not in ("csr", "csc") else value
    parts = {"kind": name, "shape": list(value.shape)}
    if fmt in ("csr", "csc"):
        parts |= {"data": enc.array(coo.data, depth),
                  "indices": enc.array(coo.indices, depth),
                  "indptr": enc.array(coo.indptr, depth)}
    else:
        parts |= {"data": enc.array(coo.data, depth), "row": enc.array(coo.row, depth),
                  "col": enc.array(coo.col, depth)}
    return {"sp": parts}


def encode_torch(enc, value, kind, depth):
    torch = sys.modules["torch"]
    if kind is torch.Size:
        return {"t": [enc.encode(int(v), depth) for v in value]}
    if kind is torch.dtype:
        return {"pdt": str(value).removeprefix("torch.")}
    if kind.__name__ in _OPTIMIZERS and kind is getattr(torch.optim, kind.__name__, None):
        groups = [{k: v for k, v in group.items() if k != "params"} | {
            "params": list(group["params"])} for group in value.param_groups]
        return {"po": {"kind": kind.__name__, "defaults": enc.encode(dict(value.defaults),
                                                                      depth),
                       "groups": enc.encode(groups, depth)}}
    if kind not in (torch.Tensor, torch.nn.Parameter):
        return None
    tensor = value.detach().cpu()
    name = str(tensor.dtype).removeprefix("torch.")
    if tensor.dtype == torch.bfloat16:  # numpy has no bfloat16; float32 holds it exactly
        tensor = tensor.to(torch.float32)
    return {"pt": {"dtype": name, "array": enc.array(tensor.numpy(), depth),
                   "grad": bool(value.requires_grad),
                   "parameter": kind is torch.nn.Parameter}}


def encode_tensorflow(enc, value, kind, depth):
    tf = sys.modules["tensorflow"]
    variable = isinstance(value, tf.Variable)
    if not (kind is type(tf.constant(0)) or (variable and kind.__name__ in (
            "ResourceVariable", "UninitializedVariable"))):
        return None
    if value.dtype.name not in _TF_DTYPES:
        raise Unserializable(f"TensorFlow dtype {value.dtype.name}")
    array = value.numpy()
    if type(array) is not sys.modules["numpy"].ndarray:  # a scalar tensor
        array = sys.modules["numpy"].asarray(array)
    return {"tf": {"dtype": value.dtype.name, "array": enc.array(array, depth),
                   "variable": variable}}


# ------------------------------------------------------------------ decoding (checker's side)
def decode_sp(dec, body: dict, depth: int):
    sparse = _module("scipy.sparse")
    name = dec.field(body, "kind", str)
    fmt = name.split("_")[0]
    if fmt not in _SPARSE or name not in (f"{fmt}_matrix", f"{fmt}_array") \
            or not hasattr(sparse, name):
        raise Malformed(f"sparse kind {name!r} is not allowed")
    shape = tuple(dec.field(body, "shape", list))
    if len(shape) != 2 or any(type(n) is not int or n < 0 or n > 1 << 31 for n in shape):
        raise Malformed("bad sparse shape")
    data = dec.array(body.get("data"), depth)
    if fmt in ("csr", "csc"):
        built = getattr(sparse, f"{fmt}_matrix")(
            (data, dec.array(body.get("indices"), depth), dec.array(body.get("indptr"),
                                                                     depth)), shape=shape)
    else:
        built = sparse.coo_matrix((data, (dec.array(body.get("row"), depth),
                                          dec.array(body.get("col"), depth))), shape=shape)
    built = built.asformat(fmt)
    return getattr(sparse, name)(built) if name.endswith("_array") else built


def decode_pt(dec, body: dict, depth: int):
    torch = _module("torch")
    name = dec.field(body, "dtype", str)
    dtype = getattr(torch, name, None) if name.isidentifier() else None
    if not isinstance(dtype, torch.dtype):
        raise Malformed(f"torch dtype {name!r} is not allowed")
    tensor = torch.from_numpy(dec.array(body.get("array"), depth)).to(dtype)
    if body.get("parameter") is True:
        return torch.nn.Parameter(tensor, requires_grad=body.get("grad") is True)
    return tensor.requires_grad_(True) if body.get("grad") is True else tensor


def decode_po(dec, body: dict, depth: int):
    torch = _module("torch")
    kind = dec.field(body, "kind", str)
    if kind not in _OPTIMIZERS:
        raise Malformed(f"optimizer {kind!r} is not allowed")
    defaults = dec.decode(body.get("defaults"), depth)
    groups = dec.decode(body.get("groups"), depth)
    if type(defaults) is not dict or type(groups) is not list or not groups or any(
            type(g) is not dict or type(g.get("params")) is not list for g in groups) \
            or any(type(k) is not str for g in [defaults, *groups] for k in g):
        raise Malformed("an optimizer's parts are not dicts of options")
    return getattr(torch.optim, kind)(groups, **defaults)


def decode_sb(dec, body: dict, depth: int):
    module = dec.field(body, "module", str)
    kind = getattr(sys.modules.get(module), dec.field(body, "kind", str), None) \
        if module in _STATS_MODULES else None
    if not (isinstance(kind, type) and kind.__mro__[1:] == (tuple, object)
            and hasattr(kind, "_fields")):
        raise Malformed("not a scipy.stats result type")
    items = [dec.decode(v, depth) for v in dec.field(body, "items", list)]
    extra = [dec.decode(v, depth) for v in dec.field(body, "extra", list)]
    names = getattr(kind, "_extra_fields", ())
    if len(items) != len(kind._fields) or len(extra) != len(names):
        raise Malformed("a scipy.stats result with the wrong number of fields")
    return kind(*items, **dict(zip(names, extra, strict=True)))


def decode_pdt(dec, body: str, depth: int):  # a torch dtype on its own
    torch = _module("torch")
    dtype = getattr(torch, body, None) if type(body) is str and body.isidentifier() else None
    if not isinstance(dtype, torch.dtype):
        raise Malformed(f"torch dtype {body!r} is not allowed")
    return dtype


def decode_tf(dec, body: dict, depth: int):
    tf = _module("tensorflow")
    name = dec.field(body, "dtype", str)
    if name not in _TF_DTYPES:
        raise Malformed(f"TensorFlow dtype {name!r} is not allowed")
    tensor = tf.constant(dec.array(body.get("array"), depth), dtype=getattr(tf, name))
    return tf.Variable(tensor) if body.get("variable") is True else tensor


def _module(name: str):
    """One of a fixed set of libraries (the sender names a tag, never a module)."""
    if name not in _LIBRARIES:
        raise Malformed(f"{name} is not a library values come from")
    return sys.modules.get(name) or importlib.import_module(name)
