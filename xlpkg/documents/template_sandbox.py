"""The Jinja environment a province's report template runs in: sandboxed (no attribute tricks),
no other templates, and bounded in loop steps, string sizes and time.

Jinja's sandbox stops a template from reaching Python's internals, not from working forever:
``range(100000)`` nested twice is 10^10 steps, ``'x' * 1500000000`` is 1.5 GB. A report needs
a few hundred loop steps and strings of a few KB; the limits below are a hundred times that.
Every limit raises ``SecurityError`` (a ``TemplateError``), which the report command shows as
报告模板有误.
"""
from __future__ import annotations

import operator
import re
import time

from jinja2 import BaseLoader
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import SandboxedEnvironment, SecurityError

__all__ = ["ReportEnvironment", "MAX_LOOP_STEPS", "MAX_STRING", "MAX_SECONDS"]

MAX_LOOP_STEPS = 100_000      # range() items over one rendering, all loops together
MAX_STRING = 1_000_000        # characters (or items) one operation may build
MAX_SECONDS = 60.0            # one rendering of one report
_BIG_WIDTH = re.compile(r"\d{7,}")   # a width/precision of 10^6 or more in a format string


class _BoundedConcat(CodeGenerator):
    """``a ~ b`` compiles to a join Jinja's sandbox does not see; its result is checked here
    (``{% set ns.x = ns.x ~ ns.x %}`` doubles a string each turn)."""

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.checked(")
        super().visit_Concat(node, frame)
        self.write(")")


class NoIncludes(BaseLoader):
    def get_source(self, environment, template):
        raise SecurityError(f"报告模板不能引用其他模板（include/import/extends “{template}”）")


class ReportEnvironment(SandboxedEnvironment):
    """One rendering's environment (the budgets start when it is made)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedConcat

    def __init__(self, **kwargs) -> None:
        super().__init__(loader=NoIncludes(), **kwargs)
        self.steps = 0
        self.deadline = time.monotonic() + MAX_SECONDS
        self.globals["range"] = self._range
        self.globals.pop("lipsum", None)     # lipsum(n) writes n paragraphs
        self.filters = {name: self._bounded(f) for name, f in self.filters.items()}

    # --- budgets -------------------------------------------------------------------------
    def _tick(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps > MAX_LOOP_STEPS:
            raise SecurityError(f"报告模板的循环次数超过上限{MAX_LOOP_STEPS}")
        if time.monotonic() > self.deadline:
            raise SecurityError(f"报告模板运行超过{MAX_SECONDS:.0f}秒，已停止")

    def _range(self, *args):
        r = range(*args)
        if len(r) > MAX_LOOP_STEPS:
            raise SecurityError(f"报告模板中 range 的长度{len(r)}超过上限{MAX_LOOP_STEPS}")
        for item in r:
            self._tick()
            yield item

    def _check_args(self, args, kwargs) -> None:
        self._tick(0)
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_STRING:
                raise SecurityError(f"报告模板中的数值参数{value}过大（上限{MAX_STRING}）")
            if isinstance(value, str) and len(value) > MAX_STRING:
                raise SecurityError(f"报告模板生成的文字超过{MAX_STRING}个字符")

    def _bounded(self, function):
        env = self

        skip = 2 if hasattr(function, "jinja_pass_arg") else 1   # (context,) value, then arguments

        def bounded(*args, **kwargs):
            env._check_args(args[skip:], kwargs)
            return _checked(function(*args, **kwargs))
        for attr in ("jinja_pass_arg", "environmentfilter", "contextfilter", "evalcontextfilter"):
            if hasattr(function, attr):
                setattr(bounded, attr, getattr(function, attr))
        bounded.__name__ = getattr(function, "__name__", "filter")
        return bounded

    def checked(self, value):
        self._tick(0)
        return _checked(value)

    # --- the sandbox's hooks ----------------------------------------------------------------
    def call_binop(self, context, operator_name, left, right):
        self._tick(0)
        if operator_name == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple, bytes)) and isinstance(times, int) \
                        and len(seq) * max(times, 0) > MAX_STRING:
                    raise SecurityError(f"报告模板生成的文字或列表超过{MAX_STRING}个字符")
            return _checked(operator.mul(left, right))
        if operator_name == "**":
            if isinstance(right, (int, float)) and abs(right) > 100 or \
                    isinstance(left, (int, float)) and abs(left) > MAX_STRING:
                raise SecurityError("报告模板中的乘方运算过大")
            return operator.pow(left, right)
        if operator_name == "%":
            if isinstance(left, str) and _BIG_WIDTH.search(left):
                raise SecurityError("报告模板的格式宽度过大")
            return _checked(operator.mod(left, right))
        return _checked(super().call_binop(context, operator_name, left, right))

    def call(self, __context, __obj, *args, **kwargs):
        self._check_args(args, kwargs)
        method = getattr(__obj, "__wrapped__", __obj)    # the sandbox wraps str.format
        owner = getattr(method, "__self__", None)
        if getattr(method, "__name__", "") in ("format", "format_map") and isinstance(owner, str) \
                and _BIG_WIDTH.search(owner):
            raise SecurityError("报告模板的格式宽度过大")
        return _checked(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj, attribute):
        self._tick(0)
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        self._tick(0)
        return super().getitem(obj, argument)


def _checked(value):
    if isinstance(value, (str, list, tuple, bytes)) and len(value) > MAX_STRING:
        raise SecurityError(f"报告模板生成的文字或列表超过{MAX_STRING}个字符")
    return value

