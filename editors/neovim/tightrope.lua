-- Tightrope's language server for Neovim 0.7 and later, without plugins.
-- Load it from your init.lua:  dofile("/path/to/tightrope/editors/neovim/tightrope.lua")
-- with the TIGHTROPE environment variable set to your tightrope command
-- (for example /path/to/tightrope/.venv/bin/tightrope), or edit the line below.
--
-- It starts `tightrope lsp` once, for YAML files whose first line is the story
-- schema modeline (every story file has it; `tightrope check` warns, W006,
-- when one does not). The server finds each file's story folder itself.

local TIGHTROPE = vim.env.TIGHTROPE or "tightrope"
local client_id = nil

local function story_file(bufnr)
  local first = vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1] or ""
  return first:find("story.schema.json", 1, true) ~= nil
end

vim.api.nvim_create_autocmd("FileType", {
  pattern = "yaml",
  callback = function(args)
    if not story_file(args.buf) then
      return
    end
    if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
      client_id = vim.lsp.start_client({
        name = "tightrope",
        cmd = { TIGHTROPE, "lsp" },
        root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ":p:h"),
      })
    end
    if client_id then
      vim.lsp.buf_attach_client(args.buf, client_id)
      vim.bo[args.buf].omnifunc = "v:lua.vim.lsp.omnifunc"
    end
  end,
})
