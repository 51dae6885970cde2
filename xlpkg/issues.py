"""Problems found in a form: what every checker, reader and consolidator reports."""
from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"
SEVERITY_LABELS = {ERROR: "错误", WARNING: "警告"}


@dataclass(frozen=True, slots=True)
class Issue:
    rule: str            # rule id from rules.json ("plan.ends_100")
    severity: str        # "error" | "warning"
    message: str         # Chinese, for the accountant
    location: str = ""   # field path in the model ("indicators[3].target")
    file: str = ""
    sheet: str = ""
    cell: str = ""       # "F12"; with sheet gives 绩效目标申报表!F12

    @property
    def where(self) -> str:
        """The most precise place a person can go and look at."""
        if self.sheet and self.cell:
            place = f"{self.sheet}!{self.cell}"
        else:
            place = self.sheet or self.location
        return f"{self.file}：{place}" if self.file and place else (self.file or place)

    def located(self, **where: str) -> "Issue":
        return Issue(**{**asdict(self), **where})

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        label = SEVERITY_LABELS.get(self.severity, self.severity)
        return f"[{label}] {self.where} {self.rule}：{self.message}".replace("  ", " ")


def has_errors(issues) -> bool:
    return any(i.severity == ERROR for i in issues)
