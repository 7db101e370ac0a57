// Search snippets without raw TeX. A page's formulas are TeX in its HTML until MathJax typesets
// them in the browser, and Sphinx's search cuts its result snippets from that HTML, so they read
// "\(\ln 2\)". This turns every formula of a fetched page into plain text ("ln 2") before the
// snippet is cut. Loaded on every page (html_js_files); it acts only where Sphinx's search runs.
(function () {
  const SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", eta: "η",
    theta: "θ", lambda: "λ", mu: "μ", pi: "π", rho: "ρ", sigma: "σ", tau: "τ", phi: "φ",
    varphi: "φ", chi: "χ", psi: "ψ", omega: "ω", Delta: "Δ", Sigma: "Σ", Omega: "Ω",
    nabla: "∇", partial: "∂", infty: "∞", sim: "~", cdot: "·", times: "×", leq: "≤", le: "≤",
    geq: "≥", ge: "≥", neq: "≠", approx: "≈", to: "→", rightarrow: "→", leftarrow: "←",
    in: "∈", sum: "Σ", prod: "Π", int: "∫", mid: "|", lVert: "‖", rVert: "‖", Vert: "‖",
    lvert: "|", rvert: "|", langle: "⟨", rangle: "⟩", ldots: "…", dots: "…", cdots: "⋯",
    quad: " ", qquad: " ", left: "", right: "", big: "", Big: "", bigg: "", Bigg: "",
    displaystyle: "", textstyle: "", limits: "",
  };

  function texToText(tex) {
    let s = tex.trim().replace(/^\\[([]|\\[)\]]$/g, "").replace(/^\$+|\$+$/g, "");
    for (let i = 0; i < 3; i++) {
      s = s.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "($1)/($2)");
      s = s.replace(/\\sqrt\s*\{([^{}]*)\}/g, "√($1)");
      s = s.replace(/\\(?:mathbb|mathcal|mathrm|mathbf|mathit|boldsymbol|text|textrm|operatorname)\s*\{([^{}]*)\}/g, "$1");
    }
    s = s.replace(/\\([A-Za-z]+)/g, (m, name) => (name in SYMBOLS ? SYMBOLS[name] : name));
    s = s.replace(/\\[,;:! ]/g, " ").replace(/\\([{}|%$&#_])/g, "$1").replace(/[{}]/g, "");
    return s.replace(/\s+/g, " ").trim();
  }

  function install() {
    if (typeof Search === "undefined" || !Search.htmlToText || Search.courseMathText) return;
    const original = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const page = new DOMParser().parseFromString(htmlString, "text/html");
      page.querySelectorAll(".math").forEach((el) => { el.textContent = texToText(el.textContent); });
      return original(page.documentElement.outerHTML, anchor);
    };
    Search.courseMathText = texToText;
  }

  install();
  document.addEventListener("DOMContentLoaded", install);
})();
