"""The department as a whole (部门整体): model, maths, and its workbook's writer and reader.

The model and maths (``model``, ``metrics``) never import a workbook library; ``writer``,
``reader`` and ``forms`` (department workbooks from a consolidation) do.
"""
from .metrics import department_metrics, department_rules
from .model import Department, DeptIndicator, DeptProject, SubGoal

__all__ = ["Department", "DeptIndicator", "DeptProject", "SubGoal", "department_metrics",
           "department_rules"]
