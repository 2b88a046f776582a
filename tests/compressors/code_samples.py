"""Hand-made source files in every language the code compressor parses.

Each language has a head (imports, types), one function template repeated
with `NN` replaced by its number (a doc comment, a signature, a body that
raises or returns an error with a message) and a tail, so a file of any
length can be built.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    extension: str
    head: str
    function: str
    tail: str = ""

    def source(self, count: int = 30) -> str:
        functions = "".join(self.function.replace("NN", str(i)) for i in range(count))
        return self.head + functions + self.tail

    @property
    def signature(self) -> str:
        """The signature line of function `NN` (the line holding its name)."""
        return next(line for line in self.function.split("\n") if "NN(" in line)

    @property
    def body(self) -> str:
        """The line of function `NN`'s body that carries its error message."""
        return next(line for line in self.function.split("\n") if "shelf NN" in line)

    def line(self, template_line: str, i: int) -> str:
        return template_line.replace("NN", str(i))


TEMPLATES: dict[str, Template] = {
    "python": Template(
        "py",
        'import os\n\nLIMIT = 10\n\n\nclass Store:\n    """A store of items."""\n\n',
        '''    def get_item_NN(self, key: str) -> int:
        """Return item NN.

        Looks the key up.
        """
        value = self.data.get(key)
        if value is None:
            raise KeyError(f"no item {key} in shelf NN")
        return value + NN

''',
    ),
    "javascript": Template(
        "js",
        "const fs = require('fs');\n\n",
        """// Returns item NN.
function getItemNN(key) {
  const value = cache[key];
  if (!value) {
    throw new Error('no item in shelf NN');
  }
  return value + NN;
}

""",
        "module.exports = {};\n",
    ),
    "typescript": Template(
        "ts",
        "import { cache } from './cache';\n\nexport interface Item {\n  id: string;\n}\n\n",
        """export function getItemNN(key: string): number {
  const value: number = cache[key];
  if (!value) {
    throw new Error('no item in shelf NN');
  }
  return value + NN;
}

""",
    ),
    "tsx": Template(
        "tsx",
        "import React from 'react';\n\ninterface Props {\n  name: string;\n}\n\n",
        """export function ItemNN(props: Props): JSX.Element {
  const label: string = props.name;
  return (
    <div className="item">
      <span>{label} shelf NN</span>
    </div>
  );
}

""",
    ),
    "go": Template(
        "go",
        'package store\n\nimport (\n\t"fmt"\n)\n\n'
        "type Store struct {\n\tdata map[string]int\n}\n\n",
        """// GetItemNN returns item NN.
func (s *Store) GetItemNN(key string) (int, error) {
\tv, ok := s.data[key]
\tif !ok {
\t\treturn 0, fmt.Errorf("no item %s in shelf NN", key)
\t}
\treturn v + NN, nil
}

""",
    ),
    "rust": Template(
        "rs",
        "use std::collections::HashMap;\n\n"
        "pub struct Store {\n    data: HashMap<String, i64>,\n}\n\nimpl Store {\n",
        """    /// Returns item NN.
    pub fn get_item_NN(&self, key: &str) -> Result<i64, String> {
        match self.data.get(key) {
            Some(x) => Ok(x + NN),
            None => Err(format!("no item {} in shelf NN", key)),
        }
    }

""",
        "}\n",
    ),
    "java": Template(
        "java",
        "package a.b;\n\nimport java.util.Map;\n\n"
        "public class Store {\n  private Map<String, Integer> data;\n\n",
        """  /** Returns item NN. */
  public int getItemNN(String key) throws IllegalStateException {
    Integer v = data.get(key);
    if (v == null) {
      throw new IllegalStateException("no item in shelf NN");
    }
    return v + NN;
  }

""",
        "}\n",
    ),
    "c": Template(
        "c",
        "#include <stdio.h>\n#include <stdlib.h>\n\n#define LIMIT 10\n\n"
        "typedef struct store {\n    int *data;\n} store;\n\n",
        """/* Returns item NN. */
int store_get_item_NN(store *s, int key)
{
    int v = s->data[key];
    if (v < 0) {
        fprintf(stderr, "no item %d in shelf NN\\n", key);
        return -1;
    }
    return v + NN;
}

""",
    ),
    "cpp": Template(
        "cpp",
        "#include <map>\n#include <stdexcept>\n#include <string>\n\n"
        "namespace store {\n\nclass Store {\n public:\n",
        """  int getItemNN(const std::string& key) const {
    auto it = data_.find(key);
    if (it == data_.end()) {
      throw std::runtime_error("no item in shelf NN");
    }
    return it->second + NN;
  }

""",
        " private:\n  std::map<std::string, int> data_;\n};\n\n}  // namespace store\n",
    ),
    "csharp": Template(
        "cs",
        "using System;\nusing System.Collections.Generic;\n\nnamespace Store\n{\n"
        "    public class Store\n    {\n        private Dictionary<string, int> data;\n\n",
        """        /// <summary>Returns item NN.</summary>
        public int GetItemNN(string key)
        {
            if (!data.TryGetValue(key, out var v))
            {
                throw new KeyNotFoundException("no item in shelf NN");
            }
            return v + NN;
        }

""",
        "    }\n}\n",
    ),
    "ruby": Template(
        "rb",
        "require 'json'\n\nmodule Store\n  class Store\n    LIMIT = 10\n\n",
        """    # Returns item NN.
    def get_item_NN(key)
      value = @data[key]
      if value.nil?
        raise KeyError, "no item #{key} in shelf NN"
      end
      value + NN
    end

""",
        "  end\nend\n",
    ),
    "php": Template(
        "php",
        "<?php\nnamespace Store;\n\nuse Exception;\n\nclass Store\n{\n    private $data = [];\n\n",
        """    /** Returns item NN. */
    public function getItemNN($key)
    {
        if (!isset($this->data[$key])) {
            throw new Exception("no item in shelf NN");
        }
        return $this->data[$key] + NN;
    }

""",
        "}\n",
    ),
    "kotlin": Template(
        "kt",
        "package store\n\nimport java.util.HashMap\n\n"
        "class Store {\n    private val data = HashMap<String, Int>()\n\n",
        """    /** Returns item NN. */
    fun getItemNN(key: String): Int {
        val v = data[key]
        if (v == null) {
            throw IllegalStateException("no item in shelf NN")
        }
        return v + NN
    }

""",
        "}\n",
    ),
}
