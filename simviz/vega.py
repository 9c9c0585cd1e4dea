"""A Vega-Lite chart widget that swaps its data in place, for charts that change every week.

Solara's own chart (``solara.FigureAltair``) sends the whole specification on every change and
the browser compiles and draws the chart from scratch: on a map with country outlines and six
charts that made each week cost most of a second. :class:`LiveVega` keeps the compiled Vega view
and, when only the weekly data sets change, replaces them with ``view.data(name, values)`` and
re-runs the view; a new specification (a new armed group in the colour scale, a wider width
scale) still redraws it. The element carries ``data-updates``, the number of data swaps drawn,
which the browser test reads to know a chart moved.

Vega is loaded through RequireJS from Solara's CDN path like Solara's own chart, so the files of
:mod:`simviz.assets` serve both.

:func:`LiveChart` is the Solara component. It sets the widget's traits in an effect rather than
passing them as element arguments: Reacton walks every argument looking for child elements,
which for a map of a thousand border points cost more than drawing it.
"""

from __future__ import annotations

# Solara components are named like classes, as Solara and React do.
# ruff: noqa: N802
import ipyvuetify as v
import solara
import traitlets

TEMPLATE = r"""
<template>
  <div class="sahel-vega" :data-updates="updates" :data-embeds="embeds" :data-empty="empty ? 'true' : 'false'">
    <div ref="plotElement"></div>
    <div v-if="empty" class="sahel-vega-empty" style="color:#777;font-size:0.85em;padding:6px 0;min-height:40px">
      {{ (spec.usermeta || {}).title || "" }}<br>{{ (spec.usermeta || {}).empty || "No data yet." }}
    </div>
    <div v-if="(spec.usermeta || {}).export" class="sahel-export" style="font-size:0.8em">
      <a class="sahel-export-png" href="#" @click.prevent="download('png')">PNG</a> ·
      <a class="sahel-export-svg" href="#" @click.prevent="download('svg')">SVG</a>
      <span v-if="(spec.usermeta || {}).signalsOn" class="sahel-zoom">
        · zoom: wheel or <a class="sahel-zoom-in" href="#" @click.prevent="zoomBy(2)">+</a>
        <a class="sahel-zoom-out" href="#" @click.prevent="zoomBy(0.5)">−</a>, pan: drag,
        <a class="sahel-zoom-reset" href="#" @click.prevent="zoomBy(0)">whole map</a> (or double-click)
      </span>
    </div>
  </div>
</template>
<script>
module.exports = {
  data() {
    return { updates: 0, embeds: 0, empty: false };
  },
  created() {
    this.vegaLoaded = this.loadVega();
    this.queue = Promise.resolve();
    this.onResize = () => {
      clearTimeout(this.resizeTimer);
      this.resizeTimer = setTimeout(() => {
        if (this.fitWidth() !== this.fittedWidth) { this.enqueue(() => this.embed()); }
      }, 250);
    };
    window.addEventListener('resize', this.onResize);
  },
  mounted() {
    this.enqueue(() => this.embed());
  },
  destroyed() {
    window.removeEventListener('resize', this.onResize);
    if (this.view) { this.view.finalize(); }
  },
  watch: {
    spec() { this.enqueue(() => this.embed()); },
    datasets() { this.enqueue(() => this.swap()); },
  },
  methods: {
    enqueue(job) {
      // one job at a time, in order; a burst of weekly updates collapses into the newest data
      this.queue = this.queue.then(() => this.vegaLoaded).then(job).catch((e) => console.error("sahel-vega", e));
    },
    hasData() {
      // a chart over no rows has infinite extents and draws broken axes: show a note instead
      const meta = (this.spec || {}).usermeta || {};
      const all = {...((this.spec || {}).datasets || {}), ...(this.datasets || {})};
      const names = meta.required ? [meta.required] : Object.keys(all);
      return names.some((n) => Array.isArray(all[n]) && all[n].length > 0);
    },
    fitWidth() {
      // the width the chart's box offers now, less the room of its legend and axes
      const meta = (this.spec || {}).usermeta || {};
      if (!meta.fit) { return null; }
      const box = this.$el ? this.$el.parentElement.clientWidth : 0;
      return Math.max(meta.minWidth || 240, Math.min(meta.maxWidth || 4000, box - (meta.reserve || 0)));
    },
    clear() {
      if (this.view) { this.view.finalize(); this.view = null; }
      if (this.$refs.plotElement) { this.$refs.plotElement.innerHTML = ""; }
      this.shown = this.datasets;
      this.empty = true;
    },
    async embed() {
      if (!this.spec || !Object.keys(this.spec).length) { return; }
      if (!this.hasData()) { this.clear(); return; }
      const vegaEmbed = await new Promise((resolve, reject) => require(['vega-embed'], resolve, reject));
      const spec = JSON.parse(JSON.stringify(this.spec));
      spec.datasets = {...(spec.datasets || {}), ...JSON.parse(JSON.stringify(this.datasets || {}))};
      const width = this.fitWidth();
      if (width) {
        const meta = spec.usermeta;
        spec.width = width;
        if (meta.aspect) { spec.height = Math.round(width * meta.aspect); }
      }
      this.fittedWidth = width;
      const handlers = (spec.usermeta || {}).signalsOn || {};
      const patch = (vg) => {
        // event handlers Vega-Lite cannot declare (zoom and pan of the map), onto its signals
        for (const s of vg.signals || []) { if (handlers[s.name]) { s.on = handlers[s.name]; } }
        return vg;
      };
      const kept = {};
      if (this.view) {
        for (const name of Object.keys(handlers)) { try { kept[name] = this.view.signal(name); } catch (e) {} }
        this.view.finalize();
        this.view = null;
      }
      const result = await vegaEmbed(this.$refs.plotElement, spec, {renderer: "svg", actions: false, patch});
      this.view = result.view;
      if (kept.view) { await this.view.signal('view', kept.view).runAsync(); }  // a new spec keeps the zoom
      // names are for reading: clicks go through them to the place or route beneath
      this.$refs.plotElement.querySelectorAll('.mark-text').forEach((g) => { g.style.pointerEvents = 'none'; });
      this.view.addEventListener('click', (event, item) => {
        if (item && item.datum && item.mark.marktype !== 'text' && (item.datum.place || item.datum.link)) {
          this.clicked = {place: item.datum.place || null, link: item.datum.link || null, at: Date.now()};
        }
      });
      this.shown = this.datasets;
      this.empty = false;
      this.embeds += 1;
      this.updates += 1;
    },
    async swap() {
      if (!this.hasData()) { this.clear(); return; }
      if (!this.view) { return this.embed(); }
      if (this.shown === this.datasets) { return; }
      const data = this.datasets || {};
      for (const name of Object.keys(data)) {
        this.view.data(name, JSON.parse(JSON.stringify(data[name])));
      }
      this.shown = this.datasets;
      await this.view.resize().runAsync();
      this.updates += 1;
    },
    async zoomBy(factor) {
      // the buttons' zoom, about the map's centre (0: back to the whole map)
      if (!this.view) { return; }
      const v = this.view.signal('view');
      const k = factor ? Math.min(16, Math.max(1, v.k * factor)) : 1;
      const next = factor ? {k: k, x: v.x * k / v.k, y: v.y * k / v.k} : {k: 1, x: 0, y: 0};
      await this.view.signal('view', next).runAsync();
    },
    async download(kind) {
      if (!this.view) { return; }
      const url = await this.view.toImageURL(kind, kind === 'png' ? 2 : 1);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${(this.spec.usermeta || {}).name || 'chart'}.${kind}`;
      document.body.appendChild(a);
      a.click();
      a.remove();
    },
    async loadVega() {
      await this.loadRequire();
      require.config({
        map: {
          '*': {
            'vega': `${this.getCdn()}/vega@5/build/vega.min.js`,
            'vega-lite': `${this.getCdn()}/vega-lite@5/build/vega-lite.min.js`,
            'vega-embed': `${this.getCdn()}/vega-embed@6/build/vega-embed.min.js`,
          }
        }
      });
      await new Promise((resolve, reject) => require(['vega', 'vega-lite', 'vega-embed'], resolve, reject));
    },
    loadRequire() {
      if (window.requirejs) { return Promise.resolve(); }
      return new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = `${this.getCdn()}/requirejs@2.3.6/require.js`;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    },
    getCdn() {
      return window.solara ? window.solara.cdn : '/_solara/cdn';
    },
  },
}
</script>
"""


class LiveVega(v.VuetifyTemplate):
    """A Vega-Lite chart: ``spec`` (structure and static data) and ``datasets`` (swapped in place)."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    spec = traitlets.Dict().tag(sync=True)
    datasets = traitlets.Dict().tag(sync=True)
    clicked = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)


class Box:
    """Holds a value for a component argument that Reacton should neither walk nor compare deeply.

    Two boxes are equal only if they are the same box, so an effect depending on one runs when
    the page makes a new box (a new week) and not otherwise.
    """

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


@solara.component
def LiveChart(spec: Box, datasets: Box, classes: list[str] | None = None, on_click=None):
    """A :class:`LiveVega` chart; ``spec`` and ``datasets`` are :class:`Box` es made per change.

    ``on_click`` gets ``{"place": name}`` or ``{"link": name}`` when a place or route is clicked.
    """
    with solara.Div(classes=classes or []) as main:
        element = LiveVega.element()
    widget_ref = solara.use_ref(None)

    def push() -> None:
        # Reacton keeps the widget of the first render's element; later elements map to it
        # but are not known to get_widget, so the first one found is kept.
        if widget_ref.current is None:
            try:
                widget_ref.current = solara.get_widget(element)
            except KeyError:  # an element replaced before its effects ran: the next render sets it
                return
        widget = widget_ref.current
        if widget.spec is not spec.value:
            widget.spec = spec.value
        widget.datasets = datasets.value

    solara.use_effect(push, [spec, datasets])

    def listen():
        widget = widget_ref.current
        if widget is None or on_click is None:
            return None

        def changed(change):
            if change["new"]:
                on_click(dict(change["new"]))

        widget.observe(changed, "clicked")
        return lambda: widget.unobserve(changed, "clicked")

    solara.use_effect(listen, [on_click is None, widget_ref.current is None])
    return main
