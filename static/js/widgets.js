// Small controls the views build: a labelled slider (linear or log) and a labelled list.
// DOM only; what a change means is the caller's (`onInput`, `onChange`).

export function slider({ id, label, min, max, step, value, log = false, format = (v) => v.toPrecision(3), onInput }) {
  const wrap = document.createElement("label");
  const text = document.createElement("span");
  text.textContent = label;
  const input = document.createElement("input");
  input.type = "range";
  input.id = id;
  input.min = String(min);
  input.max = String(max);
  input.step = String(step);
  input.value = String(log ? Math.log10(value) : value);
  input.setAttribute("aria-label", label);
  const out = document.createElement("output");
  out.htmlFor = id;
  out.textContent = format(value);
  input.addEventListener("input", () => {
    const v = log ? 10 ** Number(input.value) : Number(input.value);
    out.textContent = format(v);
    onInput(v);
  });
  wrap.append(text, " ", out, input);
  return wrap;
}

export function select({ id, label, options, value, onChange, name = (o) => o }) {
  const wrap = document.createElement("label");
  const text = document.createElement("span");
  text.textContent = label;
  const sel = document.createElement("select");
  sel.id = id;
  sel.setAttribute("aria-label", label);
  for (const o of options) {
    const opt = document.createElement("option");
    opt.value = o;
    opt.textContent = name(o);
    sel.append(opt);
  }
  sel.value = value;
  sel.addEventListener("change", () => onChange(sel.value));
  wrap.append(text, " ", sel);
  return wrap;
}
