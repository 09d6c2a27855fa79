// A windowed list of our own: items of known heights, of which only those on screen (and
// a screen's worth around them) are in the DOM, so a fleet of thousands costs what a
// screenful costs; whoever fetches per item (sparklines) is told which those are. The
// list is its own scroll container and fills what its parent gives.
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { offsets, visibleRange } from "./windowing";

/** The size of an element, followed as it changes; the window's when it has no layout
 * (jsdom), so tests render a screenful too. */
export function useSize(ref: { current: HTMLElement | null }): { width: number; height: number } {
  const [size, setSize] = useState({ width: window.innerWidth, height: window.innerHeight });
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const read = () => {
      const width = element.clientWidth || window.innerWidth;
      const height = element.clientHeight || window.innerHeight;
      setSize((s) => (s.width === width && s.height === height ? s : { width, height }));
    };
    read();
    const observer = new ResizeObserver(read);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}

export function VirtualList<T>({
  items,
  heightOf,
  keyOf,
  render,
  testid,
  className = "",
  onPointerEnter,
  onPointerLeave,
  onRange,
}: {
  items: readonly T[];
  heightOf: (item: T) => number;
  keyOf: (item: T) => string;
  render: (item: T) => ComponentChildren;
  testid?: string;
  className?: string;
  onPointerEnter?: () => void;
  onPointerLeave?: () => void;
  /** Told the items in the DOM, `[start, end)`, after each render. */
  onRange?: (start: number, end: number) => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const { height } = useSize(scroller);
  const [scrollTop, setScrollTop] = useState(0);
  const starts = useMemo(() => offsets(items.map(heightOf)), [items, heightOf]);
  const [start, end] = visibleRange(starts, scrollTop, height, height);
  useEffect(() => onRange?.(start, end), [onRange, start, end, items]);
  const shown: ComponentChildren[] = [];
  for (let i = start; i < end; i += 1) {
    const item = items[i] as T;
    shown.push(
      <div key={keyOf(item)} class="virtual-item" style={{ top: `${starts[i]}px`, height: `${heightOf(item)}px` }}>
        {render(item)}
      </div>,
    );
  }
  return (
    <div
      ref={scroller}
      class={`virtual ${className}`}
      data-testid={testid}
      data-items={items.length}
      onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}
      onPointerEnter={onPointerEnter}
      onPointerLeave={onPointerLeave}
    >
      <div class="virtual-body" style={{ height: `${starts[items.length] ?? 0}px` }}>
        {shown}
      </div>
    </div>
  );
}
