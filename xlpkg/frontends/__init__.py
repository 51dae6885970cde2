"""What the spreadsheet front ends share: engine-neutral code that imports neither xlwings nor
uno (the worksheet functions, the Book interface the buttons use)."""
