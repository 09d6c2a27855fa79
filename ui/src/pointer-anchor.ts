// Nothing moves under the pointer: when a change the pointer did not make (a section
// opened by a key) grows or shrinks the page above what the pointer rests on, that element
// is measured before the change and its scrolling container scrolled by how far it
// moved, before the next paint. The web view on Linux (WebKitGTK) has no CSS scroll
// anchoring, so the window does it itself.

let pointer: { x: number; y: number } | null = null;

/** Follows the pointer over the window; returns the function that stops following it. */
export function trackPointer(): () => void {
  const move = (e: PointerEvent) => {
    pointer = { x: e.clientX, y: e.clientY };
  };
  const leave = () => {
    pointer = null;
  };
  window.addEventListener("pointermove", move, { passive: true });
  document.documentElement.addEventListener("pointerleave", leave);
  return () => {
    window.removeEventListener("pointermove", move);
    document.documentElement.removeEventListener("pointerleave", leave);
    pointer = null;
  };
}

/** The nearest ancestor that scrolls vertically, else the document's scroller. */
function scrollerOf(element: HTMLElement): Element | null {
  for (let at = element.parentElement; at; at = at.parentElement) {
    const overflow = getComputedStyle(at).overflowY;
    if (overflow === "auto" || overflow === "scroll") return at;
  }
  return document.scrollingElement;
}

/** Runs `change` (a state update that re-renders), then scrolls so that the element under
 * the pointer is where it was. `frame` runs after the render and before the paint. */
export function keepUnderPointer(change: () => void, frame: (run: () => void) => void = requestAnimationFrame): void {
  const under = pointer && typeof document.elementFromPoint === "function" ? document.elementFromPoint(pointer.x, pointer.y) : null;
  if (!(under instanceof HTMLElement)) {
    change();
    return;
  }
  const before = under.getBoundingClientRect().top;
  change();
  frame(() => {
    if (!under.isConnected) return;
    const moved = under.getBoundingClientRect().top - before;
    const scroller = scrollerOf(under);
    if (moved !== 0 && scroller) scroller.scrollTop += moved;
  });
}
