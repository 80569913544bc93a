"""Credit system (电商信用): credit archive, outside records, scoring, grades, negative list, repair and appeal."""
