# Hindi pages: Django's Hindi formats, with amounts grouped the Indian way
# (₹1,500; ₹1,50,000), which Django's own Hindi formats leave ungrouped.
NUMBER_GROUPING = (3, 2, 0)
