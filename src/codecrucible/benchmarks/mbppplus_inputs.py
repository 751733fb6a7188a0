"""MBPP+ stores inputs as JSON, which has no tuples, sets or complex numbers. For the tasks
whose functions expect those, this table says where they go back (facts from EvalPlus's MBPP+
loader, restated as shapes)."""

from __future__ import annotations


def _tuple_each_arg(inp):                 # every argument is a tuple
    return [tuple(a) for a in inp]


def _tuple_inner(inp):                    # every argument is a list of tuples
    return [[tuple(x) for x in a] for a in inp]


def _tuple_first_items(inp):              # first argument is a list of tuples
    return [[tuple(x) for x in inp[0]], *inp[1:]]


def _tuple_second(inp):
    return [inp[0], tuple(inp[1]), *inp[2:]]


def _sets_in_first(inp):
    return [[set(x) if isinstance(x, list) and x else {} for x in inp[0]]]


def _float_complex(inp):
    return [float(inp[0]), complex(inp[1])]


def _tuple_first(inp):
    return [tuple(inp[0]), *inp[1:]]


def _tuple_inner_then_outer(inp):
    return [tuple(a) for a in _tuple_inner(inp)]


def _tuple_list_items(inp):
    return [[tuple(x) if isinstance(x, list) else x for x in inp[0]]]


def _tuple_list_items_outer(inp):
    return [tuple(a) for a in _tuple_list_items(inp)]


def _dict_values_tuples(inp):
    return [{k: tuple(v) for k, v in inp[0].items()}, *inp[1:]]


def _complex_first(inp):
    return [complex(inp[0])]


def _all_tuples(value):
    return tuple(_all_tuples(v) for v in value) if isinstance(value, list) else value


_SHAPES = {
    _tuple_each_arg: (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579,
                      596, 616, 630, 726, 740, 744, 809),
    _tuple_inner: (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780),
    _tuple_first_items: (75, 413, 444, 753),
    _tuple_second: (106, 750),
    _sets_in_first: (115,),
    _float_complex: (124,),
    _tuple_first: (250, 307, 405, 446, 617, 720, 763, 808),
    _tuple_inner_then_outer: (259, 401, 445),
    _tuple_list_items_outer: (278,),
    _dict_values_tuples: (722,),
    _complex_first: (252,),
    _all_tuples: (580, 615, 791),
}
_BY_TASK = {task: shape for shape, tasks in _SHAPES.items() for task in tasks}


def restore_input_types(task_id: str, inputs: list) -> list:
    shape = _BY_TASK.get(int(task_id.rsplit("/", 1)[-1]))
    return inputs if shape is None else [shape(inp) for inp in inputs]
