// MathJax 3 settings for the maths that pymdownx.arithmatex (generic mode) leaves in the pages:
// it wraps every formula in an element of class "arithmatex" and writes it as \( ... \) inline
// or \[ ... \] displayed. Typeset only those elements, so code blocks are never touched.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  options: {
    ignoreHtmlClass: ".*",
    processHtmlClass: "arithmatex"
  }
};
