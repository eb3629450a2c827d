// The lesson bar, the scene's text, the welcome box and the general guide: this view owns those
// regions of the page.  What showing a scene does to the rest of the page is the controller's
// (`onScene`, `onFree`); the order of scenes is pure and tested (node --test).

// Every scene of every lesson in order: "next" runs on from one lesson into the next.
export function sceneOrder(lessons) {
  return lessons.flatMap((lesson, i) => lesson.scenes.map((_, k) => [i, k]));
}

// Where a scene ({lesson, scene} indices) sits in that order; −1 for none.
export function scenePosition(lessons, mark) {
  if (!mark) return -1;
  return sceneOrder(lessons).findIndex(([i, k]) => i === mark.lesson && k === mark.scene);
}

// The scene `delta` steps from `mark` (clamped to the ends), as [lesson, scene] indices.
export function neighbourScene(lessons, mark, delta) {
  const order = sceneOrder(lessons);
  if (!order.length) return null;
  return order[Math.max(0, Math.min(order.length - 1, scenePosition(lessons, mark) + delta))];
}

// `app` holds lessons, guide and the scene shown (`app.lesson`); `t` and `language` translate.
export function createLessonView({ app, t, language, onScene, onFree }) {
  const $ = (id) => document.getElementById(id);

  function render() {
    const lang = language();
    const select = $("lesson-select");
    const free = document.createElement("option");
    free.value = "";
    free.textContent = t("free_play");
    select.replaceChildren(
      free,
      ...app.lessons.map((lesson, i) => {
        const o = document.createElement("option");
        o.value = String(i);
        o.textContent = `${i + 1}. ${lesson.title[lang]}`;
        return o;
      }),
    );
    select.value = app.lesson ? String(app.lesson.lesson) : "";
    const position = scenePosition(app.lessons, app.lesson);
    $("lesson-prev").disabled = position <= 0;
    $("lesson-next").disabled = app.lessons.length === 0 || position === sceneOrder(app.lessons).length - 1;
    $("lesson-text").hidden = !app.lesson;
    $("welcome").hidden = Boolean(app.lesson);
    $("lesson-progress").textContent = "";
    if (!app.lesson) return;
    const lesson = app.lessons[app.lesson.lesson];
    $("lesson-progress").textContent = t("scene_of", { k: app.lesson.scene + 1, n: lesson.scenes.length });
    $("lesson-claim").textContent = lesson.claim[lang];
    $("scene-text").textContent = lesson.scenes[app.lesson.scene].text[lang];
  }

  function step(delta) {
    const next = neighbourScene(app.lessons, app.lesson, delta);
    if (next) onScene(next[0], next[1]);
  }

  function guideBranch(branch) {
    const item = document.createElement("li");
    const text = document.createElement("p");
    text.textContent = branch.text[language()];
    item.append(text);
    for (const id of branch.lessons) {
      const i = app.lessons.findIndex((lesson) => lesson.id === id);
      if (i < 0) continue;
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.lesson = id;
      b.textContent = `${i + 1}. ${app.lessons[i].title[language()]}`;
      b.addEventListener("click", () => {
        $("guide").close();
        onScene(i, 0);
      });
      item.append(b);
    }
    if (branch.children.length) {
      const list = document.createElement("ul");
      list.append(...branch.children.map(guideBranch));
      item.append(list);
    }
    return item;
  }

  function openGuide() {
    if (!app.guide) return;
    $("guide-title").textContent = app.guide.title[language()];
    const tree = document.createElement("ul");
    tree.className = "guide-tree";
    tree.append(guideBranch(app.guide.root), guideBranch(app.guide.speed));
    $("guide-tree").replaceChildren(tree);
    $("guide").showModal();
  }

  function bind() {
    $("lesson-select").addEventListener("change", () => {
      const v = $("lesson-select").value;
      if (v === "") onFree();
      else onScene(Number(v), 0);
    });
    $("lesson-prev").addEventListener("click", () => step(-1));
    $("lesson-next").addEventListener("click", () => (app.lesson ? step(1) : onScene(0, 0)));
    $("guide-open").addEventListener("click", openGuide);
    $("welcome-start").addEventListener("click", () => onScene(0, 0));
  }

  return { render, step, openGuide, bind };
}
