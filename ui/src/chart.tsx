// A chart drawn by the core (plotters SVG), sized to its element, refreshed while the
// view follows live. A slow query shows a spinner over the last picture; the rest of the
// window stays usable.
import { useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "./backend";
import type { Theme } from "./bindings/Theme";

/** A drawing, and what the engineer should know about its data (raw or rolled up). */
export interface Drawn {
  svg: string;
  note?: string;
}

export interface ChartSource {
  /** Draws at this width. */
  draw: (width: number) => Promise<Drawn>;
  /** Changes when what is drawn changes (series, range, theme). */
  key: string;
}

/** How often a live chart is redrawn. */
const LIVE_REFRESH_MS = 5000;

export function Chart({ source, live, label }: { source: ChartSource; live: boolean; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [drawn, setDrawn] = useState<Drawn>({ svg: "" });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [width, setWidth] = useState(0);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new ResizeObserver((entries) => {
      const measured = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (measured > 0) setWidth(measured);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (width === 0) return;
    let cancelled = false;
    const draw = () => {
      setBusy(true);
      source
        .draw(width)
        .then((result) => {
          if (!cancelled) {
            setDrawn(result);
            setError(null);
          }
        })
        .catch((e: unknown) => !cancelled && setError(errorText(e)))
        .finally(() => !cancelled && setBusy(false));
    };
    draw();
    const timer = live ? setInterval(draw, LIVE_REFRESH_MS) : undefined;
    return () => {
      cancelled = true;
      if (timer) clearInterval(timer);
    };
    // The source object changes every render; its key says when the drawing does.
  }, [source.key, width, live]);

  return (
    <figure class="chart" data-chart={label}>
      <figcaption>
        {label}
        {drawn.note && (
          <span class="meta chart-note" data-testid="chart-note">
            {" "}
            · {drawn.note}
          </span>
        )}
        {busy && <span class="spinner" aria-label="loading" />}
      </figcaption>
      <div ref={box} class="chart-box">
        {error ? <p class="problem">Cannot draw this chart: {error}</p> : <div class="svg" dangerouslySetInnerHTML={{ __html: drawn.svg }} />}
      </div>
    </figure>
  );
}

export function browserOffsetMinutes(): number {
  return -new Date().getTimezoneOffset();
}

export type { Theme };
