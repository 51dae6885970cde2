"""Opening a Word file someone sent: only a regular file, bounded in size, every part read no
further than its declared size, and every way it can fail said in Chinese.

python-docx reads parts with ``ZipFile.read``, which inflates up to 2 GB before cutting an entry
to its declared size; so the package is copied part by part through ``safeio.read_entry`` into
memory first (a .docx is a few MB; ``check_zip_size`` caps it) and python-docx opens the copy.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from ..system.os_errors import os_error_text
from ..system.safeio import ZipTooLarge, check_zip_size, not_a_regular_file, read_entry

__all__ = ["DocumentError", "open_docx", "not_a_regular_file", "MACRO_TYPES"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CONTENT_TYPES = "[Content_Types].xml"
DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
# Main-part types of the other Word packages: the same XML, another content type. Macros are
# never run here; reading the text of a .docm or a template is as safe as a .docx.
MACRO_TYPES = {
    b"application/vnd.ms-word.document.macroEnabled.main+xml": ".docm",
    b"application/vnd.ms-word.template.macroEnabledTemplate.main+xml": ".dotm",
}
TEMPLATE_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"


class DocumentError(ValueError):
    """A Word file that cannot be opened (Chinese message naming the file)."""


def _is_ole(data: bytes) -> bool:
    return data[:8] == OLE_MAGIC


def _copy(path: Path, *, allow_macros: bool) -> io.BytesIO:
    """The package re-zipped in memory from parts read no further than their declared size;
    a .docm/.dotm/.dotx main part relabelled as a document's so python-docx opens it."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            if info.is_dir():
                continue
            data = read_entry(zin, info)
            if info.filename == CONTENT_TYPES:
                for macro_type, suffix in MACRO_TYPES.items():
                    if macro_type in data and not allow_macros:
                        raise DocumentError(f"{path.name} 是启用宏的 Word 文档（{suffix}）：请在 Word 中"
                                            "另存为“Word 文档（.docx）”后再使用")
                    data = data.replace(macro_type, DOCX_MAIN)
                data = data.replace(TEMPLATE_TYPE, DOCX_MAIN)
            zout.writestr(info.filename, data)
    out.seek(0)
    return out


def open_docx(path: str | Path, *, allow_macros: bool = True):
    """``docx.Document`` of ``path``; ``DocumentError`` with a Chinese message otherwise.

    ``allow_macros``: a .docm is read (its macros never run); a caller that writes the
    package back out (a report template) passes False and the user is told to save a .docx.
    """
    path = Path(path)
    why = not_a_regular_file(path)
    if why:
        raise DocumentError(f"{path} {why}")
    try:
        check_zip_size(path)
        return docx.Document(_copy(path, allow_macros=allow_macros))
    except FileNotFoundError:
        raise DocumentError(f"找不到文件 {path}") from None
    except ZipTooLarge as exc:
        raise DocumentError(f"{path.name}：{exc}".replace("工作簿", "文档")) from None
    except etree.XMLSyntaxError as exc:
        # malformed, truncated, or entity expansion (billion laughs) stopped by lxml
        raise DocumentError(f"{path.name} 的内容已损坏或含有不允许的 XML 结构，无法读取；请在 Word 中"
                            f"打开并另存为 .docx 后再试（{exc}）") from None
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, EOFError,
            NotImplementedError) as exc:
        if isinstance(exc, DocumentError):
            raise
        try:
            with open(path, "rb") as fh:
                head = fh.read(8)
        except OSError:
            head = b""
        if _is_ole(head):
            raise DocumentError(f"{path.name} 是旧版 .doc 文档或已加密的文档：请在 Word 中取消密码，"
                                "另存为 .docx 后再使用") from None
        if head[:4] == b"PK\x03\x04":
            raise DocumentError(f"{path.name} 是压缩包但不是可读取的 Word 文档（.docx），或文件已损坏"
                                f"（{type(exc).__name__}：{exc}）") from None
        raise DocumentError(f"{path.name} 不是有效的 Word 文档（.docx）；"
                            "旧版 .doc 请先在 Word 中另存为 .docx") from None
    except OSError as exc:
        raise DocumentError(f"无法读取 {path.name}：{os_error_text(exc)}") from None
