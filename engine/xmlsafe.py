"""Parsing untrusted BPMN XML: no DTD, no entities, no network, bounded size, any encoding.

A diagram that declares a DOCTYPE is refused outright (BPMN never needs one), which stops
billion-laughs expansion and external entities (XXE) before any parser resolves them.

Files arrive as bytes (`ykt deploy`, the API) or as text (the modeler). Bytes are decoded as
the XML prolog or a byte-order mark says (UTF-8 when neither does), and every diagram is kept
as text whose prolog says UTF-8, which is how it is stored and parsed again later."""

from __future__ import annotations

import codecs
import re

from lxml import etree

MAX_BPMN_BYTES = 5 * 1024 * 1024
_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_PROLOG = re.compile(r"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_PROLOG_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?\sencoding\s*=\s*["'])[A-Za-z0-9._:-]+(["'])""")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# `<?` in UTF-16 or UTF-32 without a byte-order mark
_WIDE = ((b"<\0?\0", "utf-16-le"), (b"\0<\0?", "utf-16-be"), (b"<\0\0\0", "utf-32-le"))


class UnsafeXml(ValueError):
    pass


def _encoding_of(data: bytes) -> str:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    for start, name in _WIDE:
        if data.startswith(start):
            return name
    declared = _PROLOG.match(data[:200].decode("ascii", errors="replace"))
    return declared.group(1) if declared else "utf-8"


def decode(xml: bytes | str) -> str:
    """The diagram as text, its prolog (if any) saying UTF-8."""
    if isinstance(xml, bytes):
        if len(xml) > MAX_BPMN_BYTES:
            raise UnsafeXml(f"文件过大（超过 {MAX_BPMN_BYTES // 1024 // 1024} MB）")
        encoding = _encoding_of(xml)
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UnsafeXml(f"不支持的字符编码：{encoding}") from None
        try:
            text = xml.decode(encoding)
        except UnicodeDecodeError as exc:
            raise UnsafeXml(
                f"文件内容不是有效的 {encoding} 编码（第 {exc.start} 个字节处）；"
                "请在 XML 声明中写明文件的实际编码"
            ) from None
    else:
        text = xml
    text = text.lstrip("\ufeff")
    return _PROLOG_ENCODING.sub(r"\1UTF-8\2", text, count=1)


def parse_bpmn(xml: bytes | str) -> etree._ElementTree:
    text = decode(xml)
    data = text.encode("utf-8", errors="surrogatepass")
    if len(data) > MAX_BPMN_BYTES:
        raise UnsafeXml(f"文件过大（超过 {MAX_BPMN_BYTES // 1024 // 1024} MB）")
    if _DOCTYPE.search(text):
        raise UnsafeXml("不允许 DOCTYPE 或实体声明（可能是 XML 炸弹或外部实体攻击）")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"XML 格式错误（第 {exc.lineno} 行）：{exc.msg}") from None
    except ValueError as exc:  # lxml's own refusals of what it cannot read at all
        raise UnsafeXml(f"XML 无法读取：{exc}") from None
    if root is None:
        raise UnsafeXml("文件中没有 XML 内容")
    return etree.ElementTree(root)
