"""北疆数字经济监测: the catalogue (config), warehouse access and the indicator engine."""
