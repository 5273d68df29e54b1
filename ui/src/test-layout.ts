// happy-dom lays nothing out, so every element would measure 0×0 and the photo grid, which
// makes its cells once it knows its size, would make none: in the component tests every
// element measures as a desktop window does.
Object.defineProperties(HTMLElement.prototype, {
  clientWidth: { configurable: true, get: () => 1024 },
  clientHeight: { configurable: true, get: () => 768 },
});
