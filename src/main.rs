fn main() {
    println!("quota-tui: under construction");
}
