"""The training-loss plot for a fine-tuning run's model card: a small standalone SVG, no plotting library."""

from __future__ import annotations

from collections.abc import Sequence


def loss_curve_svg(losses: Sequence[float], width: int = 640, height: int = 320) -> str:
    """The training loss per step, with its moving average, as a small standalone SVG."""
    if not losses:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"/>'
    left, right, top, bottom = 56, 16, 28, 40
    top_loss = max(losses) * 1.05
    span_x = max(len(losses) - 1, 1)

    def point(step: int, loss: float) -> str:
        x = left + (width - left - right) * step / span_x
        y = top + (height - top - bottom) * (1 - loss / top_loss)
        return f"{x:.1f},{y:.1f}"

    window = 8
    smooth = [
        sum(losses[max(0, i - window + 1) : i + 1]) / len(losses[max(0, i - window + 1) : i + 1])
        for i in range(len(losses))
    ]
    raw_points = " ".join(point(i, v) for i, v in enumerate(losses))
    smooth_points = " ".join(point(i, v) for i, v in enumerate(smooth))
    title = f"Training loss per step (answer tokens only); dark: {window}-step mean"
    ticks = "".join(
        f'<text x="{left - 6}" y="{top + (height - top - bottom) * (1 - v / top_loss) + 4:.1f}" '
        f'text-anchor="end" font-size="11">{v:.1f}</text>'
        for v in (top_loss * k / 4 for k in range(5))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">'
        f'<rect width="100%" height="100%" fill="white"/>'
        f'<text x="{left}" y="18" font-size="13">{title}</text>'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="black"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>{ticks}'
        f'<text x="{left}" y="{height - bottom + 16}" font-size="11">1</text>'
        f'<text x="{width - right}" y="{height - bottom + 16}" font-size="11" text-anchor="end">{len(losses)}</text>'
        f'<text x="{(left + width) / 2}" y="{height - 8}" font-size="11" text-anchor="middle">step</text>'
        f'<polyline fill="none" stroke="#9ab" stroke-width="1" points="{raw_points}"/>'
        f'<polyline fill="none" stroke="#135" stroke-width="2" points="{smooth_points}"/>'
        "</svg>\n"
    )
