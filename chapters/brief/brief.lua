-- The briefs' Pandoc filter (jsna.book.briefs): what Pandoc's Typst writer leaves to us.
--
-- * A chart is a figure whose image carries its alternative text (`alt`): the Typst writer drops
--   it, so the figure is written here as Typst, with `alt:` on the image and the caption as
--   Pandoc renders it. PDF/UA needs alternative text on every image; Word gets it from Pandoc.
-- * The boxes of a brief (`.warning`, `.meta`, `.howto`, `.notes`) are Typst functions of brief.typ.
-- In Word both are left to Pandoc (images keep `alt` as their description; boxes their
-- `custom-style`, which the reference document defines).

local BOXES = { warning = true, meta = true, howto = true, notes = true }

--- A Typst string literal holding `s` as it is.
local function typst_string(s)
  s = s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", "\\n"):gsub("\r", "\\r")
  return '"' .. s .. '"'
end

--- The Typst call drawing an image: its file, its alternative text and its width.
local function typst_image(img)
  -- In a figure, Pandoc keeps the `alt` attribute as the image's own description.
  local alt = img.attributes.alt or pandoc.utils.stringify(img.caption)
  local args = typst_string(img.src) .. ", alt: " .. typst_string(alt)
  local width = img.attributes.width
  if width and width:match("^%d+%%$") then
    args = args .. ", width: " .. width
  end
  return "image(" .. args .. ")"
end

--- Content Pandoc renders as Typst markup (escaped), for a caption.
local function typst_markup(blocks)
  return pandoc.write(pandoc.Pandoc(blocks), "typst"):gsub("%s+$", "")
end

--- Figures of one image, and the boxes: before any image is written on its own.
local blocks = {
  Figure = function(fig)
    local body = fig.content
    if #body == 1 and (body[1].t == "Plain" or body[1].t == "Para") and #body[1].content == 1 and body[1].content[1].t == "Image" then
      local caption = typst_markup(fig.caption.long)
      return pandoc.RawBlock("typst", "#figure(" .. typst_image(body[1].content[1]) .. ", caption: [" .. caption .. "])")
    end
  end,
  Div = function(div)
    for _, class in ipairs(div.classes) do
      if BOXES[class] then
        local out = { pandoc.RawBlock("typst", "#" .. class .. "[") }
        for _, block in ipairs(div.content) do
          table.insert(out, block)
        end
        table.insert(out, pandoc.RawBlock("typst", "]"))
        return out
      end
    end
  end,
}

--- Any other image (none in a brief today): inline, with its alternative text.
local images = {
  Image = function(img)
    return pandoc.RawInline("typst", "#box(" .. typst_image(img) .. ")")
  end,
}

--- Text as it is: Typst's markup turns "..." into an ellipsis, "-?" into a soft hyphen and a
--- hyphen before a digit into a minus sign, which Pandoc's writer leaves. In a word holding one
--- of them, every "-" and "." is written escaped (ASCII: never inside a UTF-8 sequence).
local shorthands = {
  Str = function(el)
    local s = el.text
    if not (s:find("%.%.%.") or s:find("%-%?") or s:find("%-%d")) then
      return nil
    end
    local out, start = {}, 1
    for i = 1, #s do
      local c = s:sub(i, i)
      if c == "-" or c == "." then
        if i > start then
          table.insert(out, pandoc.Str(s:sub(start, i - 1)))
        end
        table.insert(out, pandoc.RawInline("typst", "\\" .. c))
        start = i + 1
      end
    end
    if start <= #s then
      table.insert(out, pandoc.Str(s:sub(start)))
    end
    return out
  end,
}

if FORMAT:match("typst") then
  return { shorthands, blocks, images }
end
return {}
