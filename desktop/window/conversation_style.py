"""The conversation view's style sheet, per palette: the person's messages on a blue tint, answers
plain, code on a grey tint, quiet grey links for actions and details.

Qt's text browser reads a CSS subset when HTML is parsed (not when the palette changes), so the view
sets the sheet for the palette in force and draws again when it turns dark or light. Tints are
colours with alpha over the palette's own base; greys are picked per palette so that small text
keeps a contrast of at least 4.5:1 on both. Sizes are keywords ("small", "x-large"), relative to the
view's font, so a larger system font scales the whole conversation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConversationColours:
    muted: str  # role names, details, action links
    you: str  # the person's messages
    code: str  # inline code (blocks carry their own tint)
    rule: str  # table borders


LIGHT = ConversationColours(muted="#5f6368", you="rgba(47, 127, 209, 0.12)",
                            code="rgba(127, 127, 127, 0.16)", rule="rgba(127, 127, 127, 0.45)")
DARK = ConversationColours(muted="#a3a3a8", you="rgba(64, 140, 220, 0.22)",
                           code="rgba(160, 160, 160, 0.18)", rule="rgba(160, 160, 160, 0.45)")

YOU_GUTTER_PX = 72  # the space kept left of the person's messages, which sit on the right


def colours(dark: bool) -> ConversationColours:
    return DARK if dark else LIGHT


def blend(base: str, grey: int, alpha: float) -> str:
    """`base` ("#rrggbb") with a grey laid over it at `alpha`, as an opaque colour."""
    channels = (int(base[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (grey - c) * alpha):02x}" for c in channels)


def style_sheet(dark: bool, fixed_family: str, base: str) -> str:
    """The text browser's default style sheet for a light or dark palette; `fixed_family` is the
    system's fixed-width font (a bare "monospace" resolves poorly on Windows and macOS), `base` the
    palette's base colour, under the welcome's cards: a tint on a table cell is painted again behind
    each paragraph in it, which only an opaque colour hides."""
    c = colours(dark)
    surface = blend(base, 160 if dark else 127, 0.16 if dark else 0.12)
    mono = f"font-family: '{fixed_family}', monospace;"
    return f"""
  p, li {{ margin-top: 0px; margin-bottom: 8px; }}
  h1 {{ font-size: x-large; margin-top: 8px; margin-bottom: 8px; }}
  h2 {{ font-size: large; margin-top: 8px; margin-bottom: 6px; }}
  h3, h4, h5, h6 {{ font-size: medium; margin-top: 6px; margin-bottom: 4px; }}
  pre {{ {mono} margin-top: 0px; margin-bottom: 0px; }}
  code {{ {mono} background-color: {c.code}; }}
  table.md {{ border-collapse: collapse; margin-bottom: 8px; }}
  table.md th, table.md td {{ border: 1px solid {c.rule}; padding: 4px 8px; }}
  table.card {{ margin-top: 14px; margin-bottom: 14px; }}
  table.you {{ background-color: {c.you}; margin-left: {YOU_GUTTER_PX}px; }}
  td.bubble {{ padding: 10px 14px 4px 14px; }}
  table.code {{ margin-top: 2px; margin-bottom: 10px; }}
  td.code-head {{ padding: 6px 10px 2px 10px; }}
  td.code-body {{ padding: 2px 10px 10px 10px; }}
  .lang, .role, .meta, .actions {{ color: {c.muted}; font-size: small; }}
  .role {{ font-weight: 600; margin-top: 0px; margin-bottom: 0px; }}
  .actions {{ margin-top: 2px; margin-bottom: 14px; }}
  a.quiet {{ color: {c.muted}; text-decoration: none; font-size: small; }}
  a.cite {{ text-decoration: none; font-weight: bold; }}
  .aside {{ color: {c.muted}; margin-left: 12px; }}
  .welcome-title {{ font-size: xx-large; font-weight: 600; margin-bottom: 4px; }}
  .welcome-line {{ font-size: large; color: {c.muted}; margin-bottom: 24px; }}
  td.way {{ background-color: {surface}; padding: 14px 16px 8px 16px; }}
  a.way {{ font-weight: 600; text-decoration: none; }}
"""
